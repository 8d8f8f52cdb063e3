/**
 * The re-encoded pieces of a smart render in ONE ffmpeg run with ONE decoder: the source GOPs each piece
 * lies in (cut out, without decoding, by the split pass) are read back to back through the concat demuxer,
 * a `select` keeps each piece's frames, one libx264 encodes them with an IDR forced at every piece start,
 * and the segment muxer splits the stream back into one MP4 per piece at those IDRs. (A first version gave
 * each piece an input of its own, seeked in the source: 0.15 s per input to open, probe and seek, 6 s of a
 * 3-minute trim's 14 s pass; before that, one ffmpeg per piece.)
 *
 * A piece under an overlay (a title) gets the overlay's filters at the piece's place on the output
 * timeline, so `enable=between(t,…)` and fades see the same `t` as in the full path.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { filterValue } from '../compile/graph.js';
import { FfmpegFailedError } from '../errors.js';
import { runProcess } from '../process.js';
import type { SourceScan } from './gop.js';

export interface EncodePiece {
  /** Source frames [from, to) in presentation order. */
  from: number;
  to: number;
  /**
   * The GOP files (from the split pass) covering source frames [gopFrom, …) that hold the piece, in order;
   * `decode` (the last one only): decode just its first `decode` packets, all the piece needs of it.
   */
  gops: { file: string; frames: number; decode?: { packets: number; outpoint: string } }[];
  gopFrom: number;
  /** Where the piece's first frame lands on the output timeline (frames). */
  outAt: number;
  /** Filters (comma-joined chain) to run on the piece at its output time, e.g. drawtext for a title. */
  overlay?: string;
  /**
   * The piece follows the previous one on the output with nothing copied between (a range's tail, the next
   * range's head): it goes on in the previous one's file, without an IDR of its own.
   */
  continues?: boolean;
}

export interface EncodePassOptions {
  ffmpeg: string;
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

/** `frames` of the source as seconds (six decimals), for ffmpeg's time options. */
export const seconds = (frames: number, scan: SourceScan): string =>
  ((frames * scan.fpsDen) / scan.fpsNum).toFixed(6);
/** A concat-demuxer list line's quoted file name. */
export const listQuote = (f: string) => `'${f.replace(/'/g, "'\\''")}'`;

/**
 * The concat list of the pieces' GOPs, the filtergraph that picks, places and titles their frames, and where
 * (on the encoded stream) each output file but the first starts.
 */
export function encodePassGraph(o: EncodePassOptions): { list: string; graph: string; starts: number[] } {
  const { scan, pieces } = o;
  const fps = `${scan.fpsNum}/${scan.fpsDen}`;
  const list: string[] = [];
  const keep: string[] = [];
  const placed: string[] = [];
  const starts: number[] = [];
  const pieceStarts: number[] = [];
  let decoded = 0;
  let encoded = 0;
  for (const p of pieces) {
    for (const g of p.gops)
      list.push(
        `file ${listQuote(g.file)}\n${g.decode ? `outpoint ${g.decode.outpoint}\n` : ''}duration ${seconds(g.frames, scan)}\n`,
      );
    const a = decoded + p.from - p.gopFrom;
    const n = p.to - p.from;
    keep.push(`between(n,${a},${a + n - 1})`);
    if (p.overlay) placed.push(`${p.outAt - encoded}*between(N,${encoded},${encoded + n - 1})`);
    pieceStarts.push(encoded);
    if (!p.continues || starts.length === 0) starts.push(encoded);
    decoded += p.gops.reduce((k, g) => k + (g.decode?.packets ?? g.frames), 0);
    encoded += n;
  }
  const steps = [`select=${filterValue(keep.join('+'))}`, `setpts=N/(${fps})/TB`];
  const chain = pieces.find((p) => p.overlay)?.overlay;
  if (chain) {
    // frames of titled pieces at their output time; the others far past the end, where no overlay shows
    const inTitled = pieces
      .map((p, k) => (p.overlay ? `between(N,${pieceStarts[k]},${pieceStarts[k]! + p.to - p.from - 1})` : ''))
      .filter(Boolean)
      .join('+');
    steps.push(
      `setpts=${filterValue(`(N+${placed.join('+')}+1000000000*(1-(${inTitled})))/(${fps})/TB`)}`,
      chain,
      `setpts=N/(${fps})/TB`,
    );
  }
  return { list: list.join(''), graph: `[0:v:0]${steps.join(',')}[v]`, starts: starts.slice(1) };
}

/** The argv of the one run (without the binary). */
export function encodePassArgs(
  o: EncodePassOptions,
  files: { list: string; graph: string; pattern: string },
  starts: number[],
): string[] {
  const { scan } = o;
  // piece starts on the encoded stream, a quarter frame early (the first frame at or after each is the IDR)
  const times = starts.map((f) => seconds(f - 0.25, scan)).join(',');
  return [
    ...['-nostdin', '-hide_banner', '-v', 'error', '-y', '-progress', 'pipe:1', '-nostats'],
    ...['-f', 'concat', '-safe', '0', '-i', files.list],
    ...['-filter_complex_script', files.graph, '-map', '[v]'],
    ...o.encoder,
    ...(times ? ['-force_key_frames', times] : []),
    ...['-forced-idr', '1', '-an', '-sn', '-dn'],
    ...['-f', 'segment', '-segment_format', 'mp4', '-reset_timestamps', '1'],
    ...(times ? ['-segment_times', times] : ['-segment_time', '1000000000']),
    ...['-segment_format_options', `video_track_timescale=${scan.timescale}`],
    files.pattern,
  ];
}

/** Runs the pass; returns the output files in piece order (enc-00000.mp4, …), one per run of pieces that continue each other. */
export async function encodePass(o: EncodePassOptions): Promise<string[]> {
  if (o.pieces.length === 0) return [];
  const dir = path.join(o.workDir, 'encoded');
  await mkdir(dir, { recursive: true });
  const { list, graph, starts } = encodePassGraph(o);
  const files = {
    list: path.join(o.workDir, 'encode-sources.txt'),
    graph: path.join(o.workDir, 'encode.filtergraph'),
    pattern: path.join(dir, 'enc-%05d.mp4'),
  };
  await writeFile(files.list, list, 'utf8');
  await writeFile(files.graph, graph, 'utf8');
  await runProcess(o.ffmpeg, encodePassArgs(o, files, starts), {
    purpose: 'encode',
    signal: o.signal,
    env: o.env,
    keepStdout: false,
    onStdoutLine: (line) => {
      const m = /^frame=(\d+)/.exec(line);
      if (m) o.onFrames?.(Number(m[1]));
    },
  });
  const written = (await readdir(dir)).filter((f) => /^enc-\d{5}\.mp4$/.test(f)).sort();
  const want = starts.length + 1;
  if (written.length !== want)
    throw new FfmpegFailedError(
      0,
      `it wrote ${written.length} pieces, not ${want} (a forced keyframe was missed)`,
      'the smart encode pass',
    );
  return written.map((f) => path.join(dir, f));
}
