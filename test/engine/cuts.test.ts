import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEdit } from '../../src/engine/index.js';
import { frameRgb, makeClip, meanRgb, probeStreams, streamDurations, tempDir } from '../helpers/media.js';

const FRAME = 1 / 30;
let dir: string;
let cleanup: () => Promise<void>;
let toneClip: string;
let switchClip: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // Tone 0–1.5 s, silence 1.5–2.5 s, tone 2.5–4 s, silence 4–5 s, tone 5–6 s.
  toneClip = await makeClip(path.join(dir, 'tone.mp4'), {
    durationS: 6,
    audio: [
      [0, 1.5],
      [2.5, 4],
      [5, 6],
    ],
  });
  // Black until exactly 2.0 s (frame 60), white after: shows whether a cut lands on the right frame.
  switchClip = await makeClip(path.join(dir, 'switch.mp4'), {
    durationS: 4,
    picture: 'black',
    videoFilter: "drawbox=c=white:t=fill:enable='gte(t,2)'",
  });
});
afterAll(() => cleanup());

async function edit(file: string, instruction: string, name: string) {
  const out = path.join(dir, name);
  const result = await localEdit({ files: [file], instruction, outPath: out });
  const d = await streamDurations(out);
  expect(d.video).toBeDefined();
  expect(d.audio).toBeDefined();
  // Audio and video stay equal (±1 frame) whatever the edit.
  expect(Math.abs(d.video! - d.audio!)).toBeLessThanOrEqual(FRAME + 0.001);
  return { out, result, d };
}

describe('cuts, measured on the output', () => {
  it.each([
    ['cut the first 2 seconds', 4],
    ['cut the last 1.5 seconds', 4.5],
    ['keep 1s to 3.5s', 2.5],
    ['cut 1s-3.5s', 3.5],
    ['trim to 2.5s', 2.5],
    ['2x speed', 3],
    ['speed up 1.5x', 4],
    ['slow down to 0.5x', 12],
  ])('%s → %d s', async (instruction, expected) => {
    const { d, result } = await edit(toneClip, instruction, `${instruction.replace(/\W+/g, '-')}.mp4`);
    expect(d.video).toBeCloseTo(expected, 1);
    expect(Math.abs(d.video! - expected)).toBeLessThanOrEqual(FRAME + 0.001);
    expect(result.render.durationMs / 1000).toBeCloseTo(expected, 2);
  });

  it('trim silences keeps the known speech layout (±0.1 s) with 0.2 s margins', async () => {
    const { d, result } = await edit(toneClip, 'trim silences', 'silences.mp4');
    // Keeps [0, 1.7] [2.3, 4.2] [4.8, 6] = 4.8 s.
    expect(Math.abs(d.video! - 4.8)).toBeLessThanOrEqual(0.1);
    const kept = result.draft.t[0]!.sg.map((s) => [s.m!.in! / 1000, (s.m!.in! + s.d) / 1000]);
    const expected = [
      [0, 1.7],
      [2.3, 4.2],
      [4.8, 6],
    ];
    expect(kept).toHaveLength(3);
    kept.forEach(([a, b], k) => {
      expect(Math.abs(a! - expected[k]![0]!)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(b! - expected[k]![1]!)).toBeLessThanOrEqual(0.1);
    });
    expect(result.notes[0]).toMatch(/^cut 2 silences, 1\.[12] s removed$/);
  });

  it('trim silences leaves no stub where the audio ends a few ms before the video', async () => {
    const early = await makeClip(path.join(dir, 'early-audio.mp4'), {
      durationS: 3,
      audioDurationS: 2.97,
      audio: [[0, 1.5]],
    });
    const { d, result } = await edit(early, 'trim silences', 'early-audio-cut.mp4');
    expect(result.draft.t[0]!.sg).toHaveLength(1);
    expect(Math.abs(d.video! - 1.7)).toBeLessThanOrEqual(0.1);
  });

  it('"trim the intro" cuts the leading silence, keeping a 0.2 s margin', async () => {
    const intro = await makeClip(path.join(dir, 'intro.mp4'), { durationS: 3, audio: [[1, 3]] });
    const { d, result } = await edit(intro, 'trim the intro', 'intro-cut.mp4');
    expect(Math.abs(d.video! - 2.2)).toBeLessThanOrEqual(0.05);
    expect(result.notes[0]).toMatch(/^trimmed the intro: cut 0\.8 s of leading silence$/);
  });

  it('joins several inputs of different sizes, with and without audio, in order', async () => {
    const wide = await makeClip(path.join(dir, 'wide.mp4'), {
      durationS: 1,
      width: 640,
      height: 360,
      picture: 'red',
    });
    const mute = await makeClip(path.join(dir, 'mute.mp4'), {
      durationS: 1.5,
      width: 180,
      height: 320,
      picture: 'blue',
      audio: 'none',
    });
    const out = path.join(dir, 'joined.mp4');
    const result = await localEdit({ files: [wide, mute], instruction: 'join the clips', outPath: out });
    expect(result.notes).toEqual(['joined 2 clips in order']);
    const d = await streamDurations(out);
    expect(Math.abs(d.video! - 2.5)).toBeLessThanOrEqual(FRAME + 0.001);
    expect(Math.abs(d.audio! - 2.5)).toBeLessThanOrEqual(FRAME + 0.001);
    const { streams } = await probeStreams(out);
    const video = streams.find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height]).toEqual([640, 360]);
    const [r1, , b1] = meanRgb(await frameRgb(out, 0.5, 64, 36));
    const [r2, , b2] = meanRgb(await frameRgb(out, 2, 64, 36));
    expect(r1).toBeGreaterThan(b1 + 100);
    expect(b2).toBeGreaterThan(r2 + 50);
  });

  it('cuts are frame-accurate: "cut the first 2 seconds" starts on the first white frame', async () => {
    const { out } = await edit(switchClip, 'cut the first 2 seconds', 'switch-cut.mp4');
    const [r] = meanRgb(await frameRgb(out, 0, 32, 18));
    expect(r).toBeGreaterThan(200);
    const { streams } = await probeStreams(out);
    expect(Number(streams.find((s) => s.codec_type === 'video')!.nb_frames)).toBe(60);
  });

  it('"trim to 2s" ends on the last black frame (60 frames, none white)', async () => {
    const { out } = await edit(switchClip, 'trim to 2s', 'switch-to.mp4');
    const { streams } = await probeStreams(out);
    expect(Number(streams.find((s) => s.codec_type === 'video')!.nb_frames)).toBe(60);
    const [r] = meanRgb(await frameRgb(out, 59 / 30, 32, 18));
    expect(r).toBeLessThan(40);
  });
});
