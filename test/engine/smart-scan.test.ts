/**
 * src/engine/smart/gop.ts, the source side of the smart decision: the parameter sets and x264's options
 * string read from the file itself (the avcC and the first packet) agree with what ffmpeg's own
 * h264_mp4toannexb puts in front of the first frame; a scan started ahead (`prefetchScan`) is taken by
 * the decision without another ffprobe, re-done when the file changed, and stopped when dropped; the
 * partial decode of a split file keeps every frame a tail needs, and no more.
 */
import { readFile, rename, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onFfmpegSpawn } from '../../src/engine/process.js';
import {
  decodeIndexOfFrame,
  parameterSets,
  partialDecode,
  prefetchScan,
  scanSource,
  sourceParameterSets,
} from '../../src/engine/smart/gop.js';
import { ffmpeg, tempDir } from '../helpers/media.js';

const FFPROBE = process.env.FIXTURE_FFPROBE ?? 'ffprobe';

let dir: string;
let cleanup: () => Promise<void>;
const at = (name: string): string => path.join(dir, name);

async function clip(file: string, seconds: number, x264: string[]): Promise<string> {
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=320x240:r=30:d=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...x264, file],
  ]);
  return file;
}

/** The ffprobe runs started while `f` runs. */
async function probesDuring(f: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const stop = onFfmpegSpawn((r) => {
    if (r.purpose === 'probe') n++;
  });
  try {
    await f();
  } finally {
    stop();
  }
  return n;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-smart-scan-'));
  await clip(at('bframes.mp4'), 2, ['-g', '30', '-bf', '3']);
  await clip(at('other.mp4'), 3, ['-g', '15', '-bf', '0']);
}, 60_000);
afterAll(() => cleanup?.());

describe('the source parameter sets, read without ffmpeg', () => {
  it("equal what h264_mp4toannexb writes before the first frame, x264's options string included", async () => {
    for (const name of ['bframes.mp4', 'other.mp4']) {
      const annexB = at(`${name}.h264`);
      await ffmpeg([
        ...['-i', at(name), '-map', '0:v:0', '-c', 'copy', '-frames:v', '1'],
        ...['-bsf:v', 'h264_mp4toannexb', '-f', 'h264', annexB],
      ]);
      const byFfmpeg = parameterSets(await readFile(annexB));
      const ours = await sourceParameterSets(await scanSource(FFPROBE, at(name)));
      expect(byFfmpeg.sps.length).toBeGreaterThan(0);
      expect(byFfmpeg.x264Options).toMatch(/bframes=/);
      expect(ours).toEqual(byFfmpeg);
    }
  });
});

describe('a scan started ahead', () => {
  it('is taken by the next scan of the file: no ffprobe of its own', async () => {
    const fresh = await scanSource(FFPROBE, at('bframes.mp4'));
    prefetchScan(FFPROBE, at('bframes.mp4'));
    let taken: Awaited<ReturnType<typeof scanSource>> | undefined;
    expect(await probesDuring(async () => (taken = await scanSource(FFPROBE, at('bframes.mp4'))))).toBe(0);
    expect(taken).toEqual(fresh);
    // taken once: the scan after it probes again
    expect(await probesDuring(() => scanSource(FFPROBE, at('bframes.mp4'))).then((n) => n > 0)).toBe(true);
  });

  it('is not used when the file changed since: the scan is of the file as it is now', async () => {
    const file = at('changing.mp4');
    await clip(file, 2, ['-g', '30']);
    prefetchScan(FFPROBE, file);
    await new Promise((r) => setTimeout(r, 50));
    await rename(await clip(at('changing-next.mp4'), 3, ['-g', '30']), file);
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const scan = await scanSource(FFPROBE, file);
    expect(scan.frames).toBe(90);
  });

  it('dropped, is stopped and forgotten: the next scan probes anew', async () => {
    const drop = prefetchScan(FFPROBE, at('other.mp4'));
    drop();
    const n = await probesDuring(() => scanSource(FFPROBE, at('other.mp4')));
    expect(n).toBeGreaterThan(0);
  });
});

describe('the partial decode of a tail', () => {
  it('keeps every packet the frames before the cut need, in decode order, and stops before the next', async () => {
    const scan = await scanSource(FFPROBE, at('bframes.mp4'));
    const order = decodeIndexOfFrame(scan.packets);
    expect(scan.cutPoints).toEqual([0, 30]);
    for (const to of [1, 2, 7, 13, 26, 29]) {
      const d = partialDecode(scan, order, { from: 30, end: 60, to: 30 + to });
      const needed = Math.max(...order.slice(30, 30 + to)) + 1 - 30;
      // with B-frames a frame's reference comes first in decode order: more packets than frames, never fewer
      expect(needed).toBeGreaterThanOrEqual(to);
      if (needed === 30) {
        // the last B-frames need the GOP's last packet: the file is decoded whole
        expect(d, `to ${to}`).toBeUndefined();
        continue;
      }
      expect(d?.packets, `to ${to}`).toBe(needed);
      // the outpoint lies between the last packet kept and the first dropped (the file's clock starts at 0)
      const tick = scan.timeBaseNum / scan.timescale;
      const base = scan.packets[order[30]!]!.pts;
      const last = (scan.packets[30 + needed - 1]!.dts - base) * tick;
      const next = (scan.packets[30 + needed]!.dts - base) * tick;
      expect(Number(d!.outpoint)).toBeGreaterThan(last);
      expect(Number(d!.outpoint)).toBeLessThan(next);
    }
    // a tail that needs the whole file decodes it whole
    expect(partialDecode(scan, order, { from: 30, end: 60, to: 60 })).toBeUndefined();
  });
});
