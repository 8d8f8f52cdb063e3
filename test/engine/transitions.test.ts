import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileDraft, getCapabilities, localEdit } from '../../src/engine/index.js';
import { frameRgb, makeClip, meanRgb, streamDurations, tempDir } from '../helpers/media.js';

const NPM_FFMPEG = path.resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
const FRAME = 1 / 30;
let dir: string;
let cleanup: () => Promise<void>;
let red: string;
let blue: string;
const saved = process.env.FFMPEG_PATH;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  red = await makeClip(path.join(dir, 'red.mp4'), { durationS: 2, picture: 'red', frequency: 440 });
  blue = await makeClip(path.join(dir, 'blue.mp4'), { durationS: 2, picture: 'blue', frequency: 660 });
});
afterAll(() => cleanup());
afterEach(() => {
  if (saved === undefined) delete process.env.FFMPEG_PATH;
  else process.env.FFMPEG_PATH = saved;
});

async function crossfade(name: string) {
  const out = path.join(dir, name);
  const result = await localEdit({
    files: [red, blue],
    instruction: 'join the clips and add crossfade transitions',
    outPath: out,
  });
  const d = await streamDurations(out);
  // 2 s + 2 s − 0.5 s overlap, audio and video alike.
  expect(Math.abs(d.video! - 3.5)).toBeLessThanOrEqual(FRAME + 0.001);
  expect(Math.abs(d.audio! - 3.5)).toBeLessThanOrEqual(FRAME + 0.001);
  const [r1, , b1] = meanRgb(await frameRgb(out, 1, 16, 9));
  const [rm, , bm] = meanRgb(await frameRgb(out, 1.75, 16, 9));
  const [r2, , b2] = meanRgb(await frameRgb(out, 2.8, 16, 9));
  expect(r1).toBeGreaterThan(200);
  expect(b1).toBeLessThan(40);
  // Mid-transition: both clips show.
  expect(rm).toBeGreaterThan(50);
  expect(bm).toBeGreaterThan(50);
  expect(r2).toBeLessThan(40);
  expect(b2).toBeGreaterThan(200);
  return result;
}

describe('transitions between clips', () => {
  it('uses xfade where the build has it (Debian ffmpeg 5.1)', async () => {
    const result = await crossfade('xfade.mp4');
    expect(result.notes).toContain('added 1 fade transition of 500 ms');
  });

  it('falls back to overlay + fade alpha + tpad on the npm ffmpeg 4.1 (no xfade)', async () => {
    process.env.FFMPEG_PATH = NPM_FFMPEG;
    const caps = await getCapabilities(NPM_FFMPEG);
    expect(caps.filters.has('xfade')).toBe(false);
    const result = await crossfade('fallback.mp4');
    const compiled = compileDraft(result.draft, { caps, workDir: dir });
    expect(compiled.graph).not.toMatch(/xfade/);
    expect(compiled.graph).toMatch(/fade=t=in:st=0:d=0\.5:alpha=1/);
    expect(compiled.graph).toMatch(/tpad=stop_mode=clone/);
    expect(compiled.graph).toMatch(/acrossfade/);
  });

  it('cuts keep exact durations on the npm ffmpeg 4.1 too (its fps filter pads to the uncut end)', async () => {
    process.env.FFMPEG_PATH = NPM_FFMPEG;
    const gappy = await makeClip(path.join(dir, 'gappy.mp4'), {
      durationS: 4,
      audio: [
        [0, 1.5],
        [2.5, 4],
      ],
    });
    const out = path.join(dir, 'cut-41.mp4');
    await localEdit({ files: [gappy], instruction: 'trim silences', outPath: out });
    const d = await streamDurations(out);
    // Keeps [0, 1.7] and [2.3, 4] = 3.4 s.
    expect(Math.abs(d.video! - 3.4)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(d.video! - d.audio!)).toBeLessThanOrEqual(FRAME + 0.001);
  });
});
