import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileDraft,
  draftFromMedia,
  getCapabilities,
  localEdit,
  probeMedia,
} from '../../src/engine/index.js';
import type { Draft } from '../../src/timeline/index.js';
import { ffmpeg, frameRgb, makeClip, meanRgb, probeStreams, tempDir } from '../helpers/media.js';

let dir: string;
let cleanup: () => Promise<void>;
let fits: string;
let small: string;
let rotated: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-segsize-'));
  fits = await makeClip(path.join(dir, 'fits.mp4'), { durationS: 2, picture: 'red' });
  small = await makeClip(path.join(dir, 'small.mp4'), {
    durationS: 2,
    width: 160,
    height: 120,
    picture: 'blue',
  });
  // 320×180 coded, shown turned a quarter: ffmpeg decodes 180×320 frames.
  rotated = path.join(dir, 'rotated.mp4');
  await ffmpeg(['-i', fits, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
});
afterAll(() => cleanup());

const sizeFilters = (graph: string): string[] => graph.match(/\b(scale|pad)=[^,;]*/g) ?? [];

async function draftOf(...files: string[]): Promise<Draft> {
  return draftFromMedia(await Promise.all(files.map(async (src) => ({ src, info: await probeMedia(src) }))));
}

describe('per-segment normalization only where the source differs from the canvas', () => {
  it('records the decoded frame size of each source (rotation applied) in the segment meta', async () => {
    const draft = await draftOf(fits, small, rotated);
    const meta = draft.t[0]!.sg.map((s) => [s.m?.srcWidth, s.m?.srcHeight]);
    expect(meta).toEqual([
      [320, 180],
      [160, 120],
      [180, 320],
    ]);
  });

  it('a source at the canvas size gets no scale/pad (setsar, fps and format stay); others keep them', async () => {
    const caps = await getCapabilities();
    const one = compileDraft(await draftOf(fits), { caps, workDir: dir }).graph;
    expect(sizeFilters(one)).toEqual([]);
    expect(one).toMatch(/setpts=PTS-STARTPTS,setsar=1,fps=30,format=yuv420p,tpad=/);
    const mixed = compileDraft(await draftOf(fits, small, rotated), { caps, workDir: dir }).graph;
    // The 160×120 and the turned 180×320 source are fitted into 320×180; the 320×180 one is not touched.
    expect(sizeFilters(mixed)).toEqual([
      'scale=320:180:force_original_aspect_ratio=decrease',
      'pad=320:180:(ow-iw)/2:(oh-ih)/2',
      'scale=320:180:force_original_aspect_ratio=decrease',
      'pad=320:180:(ow-iw)/2:(oh-ih)/2',
    ]);
    // Drafts from elsewhere carry no frame size: normalized as before.
    const bare = await draftOf(fits);
    for (const s of bare.t[0]!.sg) delete s.m?.srcWidth;
    expect(sizeFilters(compileDraft(bare, { caps, workDir: dir }).graph)).toHaveLength(2);
  });

  it('a join of a fitting, a smaller and a turned source renders at the canvas size, each part in place', async () => {
    const out = path.join(dir, 'joined.mp4');
    await localEdit({ files: [fits, small, rotated], instruction: 'join the clips', outPath: out });
    const video = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height]).toEqual([320, 180]);
    const [r1, , b1] = meanRgb(await frameRgb(out, 1, 32, 18));
    expect(r1).toBeGreaterThan(200);
    expect(b1).toBeLessThan(40);
    // The 160×120 blue clip is pillarboxed: blue in the middle, black at the sides.
    const [, , b2] = meanRgb(await frameRgb(out, 3, 32, 18), 32, { x: 12, y: 4, w: 8, h: 10 });
    const [, , edge] = meanRgb(await frameRgb(out, 3, 32, 18), 32, { x: 0, y: 4, w: 3, h: 10 });
    expect(b2).toBeGreaterThan(200);
    expect(edge).toBeLessThan(30);
  });

  it('a fitting and a smaller source joined by a crossfade render (same time base for xfade)', async () => {
    const out = path.join(dir, 'crossfaded.mp4');
    await localEdit({
      files: [fits, small],
      instruction: 'join the clips and add crossfade transitions',
      outPath: out,
    });
    const video = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height]).toEqual([320, 180]);
    expect(Number(video.duration)).toBeCloseTo(3.5, 1);
  });
});
