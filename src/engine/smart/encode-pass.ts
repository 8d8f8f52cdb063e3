/**
 * The re-encoded pieces of a smart render in ONE ffmpeg run: each piece is its own input (seeked to a
 * quarter frame before its first frame, read for its length only, trimmed to its frame count), the pieces
 * are joined by the concat filter, encoded by one libx264 with an IDR forced at every piece start, and
 * the segment muxer splits the stream back into one MP4 per piece at those IDRs. One encoder instead of
 * one process per piece: no start-up, probe and lookahead ramp per piece, and x264's frame threads busy.
 *
 * A piece under an overlay (a title) gets the overlay's filters on the way, at the piece's place on the
 * output timeline, so `enable=between(t,…)` and fades see the same `t` as in the full path.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegFailedError } from '../errors.js';
import { runProcess } from '../process.js';
import type { SourceScan } from './gop.js';

export interface EncodePiece {
  /** Source frames [from, to) in presentation order. */
  from: number;
  to: number;
  /** Where the piece's first frame lands on the output timeline (frames). */
  outAt: number;
  /** Filters (comma-joined chain) to run on the piece at its output time, e.g. drawtext for a title. */
  overlay?: string;
}

export interface EncodePassOptions {
  ffmpeg: string;
  src: string;
  scan: SourceScan;
  pieces: EncodePiece[];
  /** libx264 arguments (codec, profile, level, -x264-params) matched to the source. */
  encoder: string[];
  workDir: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Output frames encoded so far (from `-progress`). */
  onFrames?: (frames: number) => void;
}

const seconds = (frames: number, scan: SourceScan): string =>
  ((frames * scan.fpsDen) / scan.fpsNum).toFixed(6);

/** The argv of the one run (without the binary); `pattern` is the segment muxer's file pattern. */
export function encodePassArgs(o: EncodePassOptions, pattern: string): string[] {
  const { scan, pieces } = o;
  const fps = `${scan.fpsNum}/${scan.fpsDen}`;
  const inputs = pieces.flatMap((p) => [
    // decode threads per input stay small: the pieces are decoded one after another, x264 wants the cores
    ...['-threads', '2', '-ss', seconds(p.from - 0.25, scan)],
    ...['-t', seconds(p.to - p.from + 1, scan), '-i', o.src],
  ]);
  const chains = pieces.map((p, k) => {
    const steps = [`trim=end_frame=${p.to - p.from}`];
    if (p.overlay) steps.push(`setpts=N/(${fps})/TB+${seconds(p.outAt, scan)}/TB`, p.overlay);
    steps.push('setpts=PTS-STARTPTS');
    return `[${k}:v:0]${steps.join(',')}[p${k}]`;
  });
  const joined = `${pieces.map((_, k) => `[p${k}]`).join('')}concat=n=${pieces.length}:v=1:a=0,setpts=N/(${fps})/TB[v]`;
  // piece starts on the encoded stream, a quarter frame early (the first frame at or after each is the IDR)
  const starts: number[] = [];
  let at = 0;
  for (const p of pieces.slice(0, -1)) {
    at += p.to - p.from;
    starts.push(at);
  }
  const times = starts.map((f) => seconds(f - 0.25, scan)).join(',');
  return [
    ...['-nostdin', '-hide_banner', '-v', 'error', '-y', '-progress', 'pipe:1', '-nostats'],
    ...inputs,
    ...['-filter_complex', [...chains, joined].join(';'), '-map', '[v]'],
    ...o.encoder,
    ...(times ? ['-force_key_frames', times] : []),
    ...['-forced-idr', '1', '-an', '-sn', '-dn'],
    ...['-f', 'segment', '-segment_format', 'mp4', '-reset_timestamps', '1'],
    ...(times ? ['-segment_times', times] : ['-segment_time', '100000000']),
    ...['-segment_format_options', `video_track_timescale=${scan.timescale}`],
    pattern,
  ];
}

/** Runs the pass; returns the piece files in piece order (enc-00000.mp4, …). */
export async function encodePass(o: EncodePassOptions): Promise<string[]> {
  if (o.pieces.length === 0) return [];
  const dir = path.join(o.workDir, 'encoded');
  await mkdir(dir, { recursive: true });
  const pattern = path.join(dir, 'enc-%05d.mp4');
  await runProcess(o.ffmpeg, encodePassArgs(o, pattern), {
    purpose: 'encode',
    signal: o.signal,
    env: o.env,
    keepStdout: false,
    onStdoutLine: (line) => {
      const m = /^frame=(\d+)/.exec(line);
      if (m) o.onFrames?.(Number(m[1]));
    },
  });
  const files = (await readdir(dir)).filter((f) => /^enc-\d{5}\.mp4$/.test(f)).sort();
  if (files.length !== o.pieces.length)
    throw new FfmpegFailedError(
      0,
      `it wrote ${files.length} pieces, not ${o.pieces.length} (a forced keyframe was missed)`,
      'the smart encode pass',
    );
  return files.map((f) => path.join(dir, f));
}
