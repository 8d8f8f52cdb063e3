/**
 * src/engine/smart/avcc.ts: reading an MP4's avcC and adding parameter sets to it. The proof is a concat
 * join (`-c copy`) of a libx264 clip (sps-id 0) and one encoded with other settings and `sps-id=1`: the
 * join's avcC holds only the first clip's sets, so with the in-band SPS/PPS stripped the second clip's
 * frames do not decode. After addParameterSets with the second clip's sets they do, frame for frame the
 * same as the join decoded with its in-band sets, for a moov after the media and a faststart one (whose
 * chunk offsets must move by the growth: the packets' positions and the audio's md5s show they did).
 * Plus: box sizes re-parse, 64-bit and size-0 box sizes, ids that collide, the ue(v) id reader.
 */
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AvcConfig,
  addParameterSets,
  type Box,
  boxes,
  parseAvcC,
  ppsId,
  readAvcC,
  serializeAvcC,
  spsId,
} from '../../src/engine/smart/avcc.js';
import { ffmpeg, tempDir } from '../helpers/media.js';

const run = promisify(execFile);
const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.FIXTURE_FFPROBE ?? 'ffprobe';
const FRAMES = 50; // 2 s at 25 fps, each clip

let dir: string;
let cleanup: () => Promise<void>;
let clipA: string;
let clipB: string;
let clipC: string;
let setsB: AvcConfig;
const at = (name: string): string => path.join(dir, name);

async function makeClip(file: string, x264: string[], filter = 'null'): Promise<string> {
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=320x240:r=25:d=2`],
    ...['-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000:d=2'],
    ...['-vf', filter, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '25', ...x264],
    ...['-c:a', 'aac', '-b:a', '96k', '-video_track_timescale', '12800', '-shortest', file],
  ]);
  return file;
}

async function join(out: string, parts: string[], movflags: string[] = []): Promise<string> {
  const list = `${out}.txt`;
  await writeFile(list, parts.map((p) => `file '${p}'\n`).join(''));
  await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', ...movflags, out]);
  return out;
}

/** The join with every in-band SPS (7) and PPS (8) removed: only the avcC's sets are left. */
async function strip(file: string): Promise<string> {
  const out = file.replace(/\.mp4$/, '.stripped.mp4');
  await ffmpeg(['-i', file, '-map', '0', '-c', 'copy', '-bsf:v', 'filter_units=remove_types=7|8', out]);
  return out;
}

/** ffmpeg's error output for a full decode (empty: clean). */
async function decodeErrors(file: string): Promise<string> {
  try {
    const { stderr } = await run(FFMPEG, ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], {
      maxBuffer: 64 << 20,
    });
    return stderr.trim();
  } catch (err) {
    return `${(err as { stderr?: string }).stderr ?? ''}\n${String(err)}`.trim();
  }
}

/** One md5 line a decoded frame, video and audio (the `#` header lines left out). */
async function frameMd5(file: string): Promise<string[]> {
  const { stdout } = await run(FFMPEG, ['-nostdin', '-v', 'error', '-i', file, '-f', 'framemd5', '-'], {
    maxBuffer: 64 << 20,
  });
  return stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
}

const videoFrames = (md5: string[]): number => md5.filter((l) => l.startsWith('0,')).length;

/** Every packet's stream and file position (what stco/co64 say). */
async function packetPositions(file: string): Promise<{ stream: number; pos: number }[]> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'packet=stream_index,pos', '-of', 'csv=p=0', file],
    { maxBuffer: 64 << 20 },
  );
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [stream, pos] = l.split(',').map(Number);
      return { stream: stream!, pos: pos! };
    });
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf']);

/** Asserts that the children of every container down to the avcC tile it exactly; returns the boxes seen. */
function checkTree(buf: Buffer, start: number, end: number, seen: Box[] = []): Box[] {
  const kids = boxes(buf, start, end);
  expect(kids.at(-1)?.end ?? start).toBe(end);
  for (const box of kids) {
    seen.push(box);
    const body = box.start + box.header;
    if (CONTAINERS.has(box.type)) checkTree(buf, body, box.end, seen);
    else if (box.type === 'stsd') checkTree(buf, body + 8, box.end, seen);
    else if (box.type === 'avc1' || box.type === 'avc3') checkTree(buf, body + 78, box.end, seen);
  }
  return seen;
}

async function treeOf(file: string): Promise<Box[]> {
  const buf = await readFile(file);
  return checkTree(buf, 0, buf.length);
}

/** A box of `type` with a 64-bit size header and `body` as its payload. */
function wideBox(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1, 0);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(BigInt(16 + body.length), 8);
  return Buffer.concat([head, body]);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-avcc-'));
  clipA = await makeClip(at('a.mp4'), ['-profile:v', 'high', '-crf', '23']);
  clipB = await makeClip(
    at('b.mp4'),
    ['-profile:v', 'main', '-crf', '30', '-x264-params', 'sps-id=1'],
    'negate',
  );
  clipC = await makeClip(at('c.mp4'), ['-profile:v', 'baseline', '-crf', '28']);
  setsB = await readAvcC(clipB);
}, 60_000);

afterAll(async () => {
  await cleanup?.();
});

describe('readAvcC', () => {
  it('reads the fields, the sets and the High-profile trailer', async () => {
    const a = await readAvcC(clipA);
    expect(a).toMatchObject({ version: 1, profile: 100, lengthSizeMinusOne: 3 });
    expect(a.high).toMatchObject({ chromaFormat: 1, bitDepthLuma: 8, bitDepthChroma: 8 });
    expect(a.sps.map(spsId)).toEqual([0]);
    expect(a.pps.map(ppsId)).toEqual([0]);
    expect(setsB).toMatchObject({ profile: 77, lengthSizeMinusOne: 3 });
    expect(setsB.high).toBeUndefined();
    expect(setsB.sps.map(spsId)).toEqual([1]);
    expect(setsB.pps.map(ppsId)).toEqual([1]);
    for (const c of [a, setsB]) expect(parseAvcC(serializeAvcC(c))).toEqual(c);
  });

  it('reads an SPS id past an emulation-prevention byte, and a PPS id', () => {
    // profile 0, constraints 0, 03 (emulation prevention), level 1, then ue(v) 1 → id 0
    expect(spsId(Buffer.from([0x67, 0x00, 0x00, 0x03, 0x01, 0x80]))).toBe(0);
    // profile 100, constraints 0, level 31, ue(v) 00110 → id 5
    expect(spsId(Buffer.from([0x67, 0x64, 0x00, 0x1f, 0x34]))).toBe(5);
    expect(ppsId(Buffer.from([0x68, 0x40]))).toBe(1); // 010 → 1
    expect(() => spsId(Buffer.from([0x68, 0x40]))).toThrow(/not a SPS/);
  });
});

describe.each([
  { layout: 'moov after the media', movflags: [] as string[] },
  { layout: 'faststart (moov first)', movflags: ['-movflags', '+faststart'] },
])('addParameterSets on a concat join, $layout', ({ layout, movflags }) => {
  const faststart = movflags.length > 0;
  const tag = faststart ? 'fast' : 'end';
  let joined: string;

  beforeAll(async () => {
    joined = await join(at(`j-${tag}.mp4`), [clipA, clipB], movflags);
  }, 60_000);

  it('the join keeps only the first clip’s sets: stripped of the in-band ones, it does not decode', async () => {
    expect((await readAvcC(joined)).sps).toEqual((await readAvcC(clipA)).sps);
    const top = (await treeOf(joined)).map((b) => b.type);
    expect(top.indexOf('moov') < top.indexOf('mdat')).toBe(faststart);
    expect(await decodeErrors(joined)).toBe('');
    expect(await decodeErrors(await strip(joined))).toMatch(/non-existing PPS 1|decode_slice_header error/);
  }, 60_000);

  it(`patched, it decodes from the avcC alone, frame for frame as with the in-band sets (${layout})`, async () => {
    const patched = at(`p-${tag}.mp4`);
    const result = await addParameterSets(joined, setsB, { out: patched });
    expect(result.sps).toBe(1);
    expect(result.pps).toBe(1);
    expect(result.growth).toBe(4 + setsB.sps[0]!.length + setsB.pps[0]!.length);

    const cfg = await readAvcC(patched);
    const a = await readAvcC(clipA);
    expect(cfg.sps).toEqual([...a.sps, ...setsB.sps]);
    expect(cfg.pps).toEqual([...a.pps, ...setsB.pps]);
    expect(cfg.trailer).toEqual(a.trailer);
    expect(cfg.level).toBe(Math.max(a.level, setsB.level));

    // every size re-parses, and the avcC and its ancestors (only they) grew, by the growth
    const before = await treeOf(joined);
    const after = await treeOf(patched);
    expect(after.map((b) => b.type)).toEqual(before.map((b) => b.type));
    const len = (b: Box): number => b.end - b.start;
    const diffs = after.map((b, k) => len(b) - len(before[k]!));
    const grown = after.filter((_, k) => diffs[k] !== 0).map((b) => b.type);
    expect(grown).toEqual(['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'avc1', 'avcC']);
    expect(diffs.filter((d) => d !== 0).every((d) => d === result.growth)).toBe(true);

    // the chunk offsets: every packet where it was, moved by the growth when the moov is first
    const shift = faststart ? result.growth : 0;
    const was = await packetPositions(joined);
    expect(await packetPositions(patched)).toEqual(was.map((p) => ({ ...p, pos: p.pos + shift })));
    expect(new Set(was.map((p) => p.stream))).toEqual(new Set([0, 1]));

    const reference = await frameMd5(joined);
    expect(videoFrames(reference)).toBe(2 * FRAMES);
    expect(await frameMd5(patched)).toEqual(reference);
    const stripped = await strip(patched);
    expect(await decodeErrors(stripped)).toBe('');
    expect(await frameMd5(stripped)).toEqual(reference);
  }, 60_000);

  it('in place: the file is patched; the same sets again add nothing and write nothing', async () => {
    const copy = at(`inplace-${tag}.mp4`);
    await copyFile(joined, copy);
    await addParameterSets(copy, setsB);
    expect((await readAvcC(copy)).sps).toHaveLength(2);
    const bytes = await readFile(copy);
    expect(await addParameterSets(copy, setsB)).toEqual({ sps: 0, pps: 0, growth: 0 });
    expect(await addParameterSets(copy, await readAvcC(clipA))).toEqual({ sps: 0, pps: 0, growth: 0 });
    expect((await readFile(copy)).equals(bytes)).toBe(true);
    expect(await decodeErrors(await strip(copy))).toBe('');
  }, 60_000);

  it('a set whose id is listed with other content throws and leaves the file alone', async () => {
    const bytes = await readFile(joined);
    const c = await readAvcC(clipC);
    await expect(addParameterSets(joined, c)).rejects.toThrow(/SPS id 0 is already in the avcC/);
    await expect(
      addParameterSets(joined, { sps: [], pps: [Buffer.from([0x68, 0x80, 0x00])] }),
    ).rejects.toThrow(/PPS id 0 is already in the avcC/);
    expect((await readFile(joined)).equals(bytes)).toBe(true);
  });
});

describe('64-bit and size-0 box sizes', () => {
  let reference: string[];
  beforeAll(async () => {
    reference = await frameMd5(clipA);
  });

  it('a moov and a trak with 64-bit sizes are read, grown in their largesize, and still decode', async () => {
    const buf = await readFile(clipA);
    const moov = boxes(buf).find((b) => b.type === 'moov')!;
    expect(moov.end).toBe(buf.length); // after the media: re-heading it moves no chunk
    const trak = boxes(buf, moov.start + moov.header, moov.end).find((b) => b.type === 'trak')!;
    const body = Buffer.concat([
      buf.subarray(moov.start + moov.header, trak.start),
      wideBox('trak', buf.subarray(trak.start + trak.header, trak.end)),
      buf.subarray(trak.end, moov.end),
    ]);
    const wide = at('wide.mp4');
    await writeFile(wide, Buffer.concat([buf.subarray(0, moov.start), wideBox('moov', body)]));
    expect(await frameMd5(wide)).toEqual(reference);
    expect(await readAvcC(wide)).toEqual(await readAvcC(clipA));

    const patched = at('wide-patched.mp4');
    const { growth } = await addParameterSets(wide, setsB, { out: patched });
    const tree = await treeOf(patched);
    const wideOnes = tree.filter((b) => b.header === 16);
    expect(wideOnes.map((b) => [b.type, b.sizeKind])).toEqual([
      ['moov', 'u64'],
      ['trak', 'u64'],
    ]);
    expect(wideOnes[0]!.end - wideOnes[0]!.start).toBe(16 + body.length + growth);
    expect((await readAvcC(patched)).sps).toHaveLength(2);
    expect(await decodeErrors(patched)).toBe('');
    expect(await frameMd5(patched)).toEqual(reference);
  }, 60_000);

  it('a moov of size 0 (to the end of the file) stays so, and decodes', async () => {
    const buf = Buffer.from(await readFile(clipA));
    const moov = boxes(buf).find((b) => b.type === 'moov')!;
    buf.writeUInt32BE(0, moov.start);
    const toEnd = at('to-end.mp4');
    await writeFile(toEnd, buf);
    expect(boxes(buf).at(-1)).toMatchObject({ type: 'moov', sizeKind: 'toEnd', end: buf.length });
    const patched = at('to-end-patched.mp4');
    await addParameterSets(toEnd, setsB, { out: patched });
    const out = await readFile(patched);
    expect(boxes(out).at(-1)).toMatchObject({ type: 'moov', sizeKind: 'toEnd', end: out.length });
    expect((await readAvcC(patched)).pps).toHaveLength(2);
    expect(await frameMd5(patched)).toEqual(reference);
  }, 60_000);
});
