/**
 * src/engine/smart/join.ts, the smart render's own join, against ffmpeg's concat demuxer on the same
 * pieces: a B-frame source split at its keyframes by the segment muxer (as the split pass does, the first
 * piece with its empty edit) plus an encoded sound. The join must give the same video packets in the same
 * order with presentation times on the same even grid, decoded frames identical, the sound's packets and
 * start unchanged, A/V lengths as ffmpeg's, moov before mdat; a piece it cannot join (another timescale)
 * is a JoinError, not a wrong file.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinError, joinPieces } from '../../src/engine/smart/join.js';
import { ffmpeg, tempDir } from '../helpers/media.js';

const run = promisify(execFile);
const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.FIXTURE_FFPROBE ?? 'ffprobe';
const TIMESCALE = 15360;
const FRAME = TIMESCALE / 30;

let dir: string;
let cleanup: () => Promise<void>;
let pieces: string[];
let audio: string;
const at = (name: string): string => path.join(dir, name);

/**
 * Per packet of `stream`: [pts, dts, size, md5] (stream copy, nothing decoded). Video packets without
 * in-band SPS/PPS: ffmpeg's concat puts each piece's sets in front of its first keyframe, the join copies
 * the packets as they are (the sets are in the avcC).
 */
async function packets(file: string, stream: string): Promise<string[][]> {
  const bsf = stream.endsWith(':v') ? ['-bsf:v', 'filter_units=remove_types=7|8'] : [];
  const args = ['-v', 'error', '-i', file, '-map', stream, '-c', 'copy', ...bsf, '-f', 'framemd5', '-'];
  const { stdout } = await run(FFMPEG, args);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((f) => f.trim()))
    .map((f) => [f[2]!, f[1]!, f[4]!, f[5]!]);
}

async function decodedMd5(file: string): Promise<string[]> {
  const { stdout } = await run(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v', '-f', 'framemd5', '-']);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

async function durations(file: string): Promise<number[]> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-show_entries',
    'stream=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout.trim().split('\n').map(Number);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-smart-join-'));
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30:d=4'],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '15', '-bf', '3'],
    ...['-sc_threshold', '0', '-video_track_timescale', String(TIMESCALE), at('src.mp4')],
  ]);
  // the split pass: video only, at keyframes a quarter frame early, timestamps reset, one timescale
  await ffmpeg([
    ...['-i', at('src.mp4'), '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_format', 'mp4'],
    ...['-segment_times', '0.491667,1.491667,2.491667', '-reset_timestamps', '1'],
    ...['-segment_format_options', `video_track_timescale=${TIMESCALE}`, at('gop-%03d.mp4')],
  ]);
  pieces = (await readdir(dir))
    .filter((f) => /^gop-\d+\.mp4$/.test(f))
    .sort()
    .map(at);
  audio = at('audio.m4a');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000:d=4'],
    ...['-c:a', 'aac', '-b:a', '128k', '-ac', '2', at('audio.m4a')],
  ]);
}, 60_000);
afterAll(() => cleanup?.());

describe('the join', () => {
  it("gives ffmpeg's concat result: the same packets, times, frames and sound", async () => {
    expect(pieces).toHaveLength(4);
    // leave out the second piece, as a cut does: the join must close the gap
    const kept = [pieces[0]!, pieces[2]!, pieces[3]!];
    const ours = at('ours.mp4');
    await joinPieces({ pieces: kept, audio, frameTicks: FRAME, out: ours });
    const list = at('list.txt');
    // each piece's length given, as the smart render gives it (the first piece's empty edit would otherwise
    // count as two more frames of it, and leave a gap)
    const frames = [15, 30, 45];
    await writeFile(
      list,
      kept.map((p, k) => `file '${p}'\nduration ${(frames[k]! / 30).toFixed(6)}\n`).join(''),
    );
    const theirs = at('theirs.mp4');
    await ffmpeg([
      ...['-f', 'concat', '-safe', '0', '-i', list, '-i', audio, '-map', '0:v:0', '-map', '1:a:0'],
      ...['-c', 'copy', '-video_track_timescale', String(TIMESCALE), '-movflags', '+faststart', theirs],
    ]);
    const [pOurs, pTheirs] = await Promise.all([packets(ours, '0:v'), packets(theirs, '0:v')]);
    expect(pOurs.length).toBe(90); // 15 + 30 + 45 frames
    // the same bytes in the same (decode) order
    expect(pOurs.map((p) => p.slice(2))).toEqual(pTheirs.map((p) => p.slice(2)));
    // presentation times: every frame on the 30 fps grid from 0, each once, as ffmpeg's
    const grid = (ps: string[][]) => ps.map((p) => Number(p[0])).sort((a, b) => a - b);
    expect(grid(pOurs)).toEqual(grid(pTheirs));
    expect(grid(pOurs)).toEqual(Array.from({ length: 90 }, (_, k) => grid(pOurs)[0]! + k * FRAME));
    // decode order: dts strictly increasing, never after its pts
    for (let k = 1; k < pOurs.length; k++)
      expect(Number(pOurs[k]![1])).toBeGreaterThan(Number(pOurs[k - 1]![1]));
    for (const p of pOurs) expect(Number(p[1])).toBeLessThanOrEqual(Number(p[0]));
    expect(await decodedMd5(ours)).toEqual(await decodedMd5(theirs));
    // the sound: the same packets at the same times
    expect(await packets(ours, '0:a')).toEqual(await packets(theirs, '0:a'));
    expect(await durations(ours)).toEqual(await durations(theirs));
    // faststart: the moov before the mdat
    const bytes = await readFile(ours);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
    await run(FFMPEG, ['-v', 'error', '-xerror', '-i', ours, '-f', 'null', '-']);
  });

  it('writes 64-bit chunk offsets (co64, a file past 4 GiB) that read back the same', async () => {
    const kept = [pieces[0]!, pieces[2]!];
    const small = at('stco.mp4');
    const big = at('co64.mp4');
    await joinPieces({ pieces: kept, audio, frameTicks: FRAME, out: small });
    await joinPieces({ pieces: kept, audio, frameTicks: FRAME, out: big, co64: true });
    const bytes = await readFile(big);
    expect(bytes.includes(Buffer.from('co64'))).toBe(true);
    expect(bytes.includes(Buffer.from('stco'))).toBe(false);
    // 64-bit mdat size too
    expect(bytes.readUInt32BE(bytes.indexOf('mdat') - 4)).toBe(1);
    expect(await packets(big, '0:v')).toEqual(await packets(small, '0:v'));
    expect(await packets(big, '0:a')).toEqual(await packets(small, '0:a'));
    expect(await decodedMd5(big)).toEqual(await decodedMd5(small));
  });

  it('refuses a piece at another timescale (JoinError: the caller joins with ffmpeg instead)', async () => {
    const other = at('other.mp4');
    await ffmpeg(['-i', pieces[1]!, '-c', 'copy', '-video_track_timescale', '90000', other]);
    await expect(
      joinPieces({ pieces: [pieces[0]!, other], frameTicks: FRAME, out: at('bad.mp4') }),
    ).rejects.toBeInstanceOf(JoinError);
  });
});
