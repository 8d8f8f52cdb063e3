/**
 * Media fixtures for engine tests: small clips generated with ffmpeg's lavfi sources into a temp dir,
 * and measurements of outputs (stream durations, raw RGB frames). Uses `ffmpeg`/`ffprobe` from PATH
 * (or FIXTURE_FFMPEG / FIXTURE_FFPROBE), never the binary under test's env overrides.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.FIXTURE_FFPROBE ?? 'ffprobe';

export async function tempDir(prefix = 'nemo-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function ffmpeg(args: string[]): Promise<string> {
  const { stderr } = await run(FFMPEG, ['-nostdin', '-hide_banner', '-y', ...args], { maxBuffer: 64 << 20 });
  return stderr;
}

/** A sound layout: `[startS, endS]` spans where a tone plays; silence elsewhere. */
export type ToneLayout = [number, number][];

export interface ClipOptions {
  durationS: number;
  width?: number;
  height?: number;
  fps?: number;
  /** 'testsrc2' (default, moving pattern) or a solid colour such as 'gray' / '0x808080'. */
  picture?: string;
  /** Extra video filters after the source, e.g. `drawbox=c=white:t=fill:enable='gte(t,2)'`. */
  videoFilter?: string;
  /** Tone spans (440 Hz, −6 dBFS) with silence between; `'tone'` = tone throughout; `'none'` = no audio stream. */
  audio?: ToneLayout | 'tone' | 'none';
  /** Tone frequency, Hz (default 440). */
  frequency?: number;
  /** Amplitude 0..1 of the tone (default 0.5). */
  amplitude?: number;
  /** Audio length when it should differ from the video's (e.g. audio ending a few ms early). */
  audioDurationS?: number;
}

/** aevalsrc expression: a sine inside the spans, 0 outside. */
export function toneExpression(layout: ToneLayout, frequency = 440, amplitude = 0.5): string {
  const gate = layout.map(([a, b]) => `between(t,${a},${b})`).join('+');
  return `${amplitude}*sin(2*PI*${frequency}*t)*gt(${gate || '0'},0)`;
}

/** Generates an H.264/AAC mp4 (ultrafast) with the given picture and audio layout. */
export async function makeClip(file: string, o: ClipOptions): Promise<string> {
  const w = o.width ?? 320;
  const h = o.height ?? 180;
  const fps = o.fps ?? 30;
  const picture = o.picture ?? 'testsrc2';
  const video =
    picture === 'testsrc2'
      ? `testsrc2=s=${w}x${h}:r=${fps}:d=${o.durationS}`
      : `color=c=${picture}:s=${w}x${h}:r=${fps}:d=${o.durationS}`;
  const args = ['-f', 'lavfi', '-i', o.videoFilter ? `${video},${o.videoFilter}` : video];
  const audio = o.audio ?? 'tone';
  if (audio !== 'none') {
    const layout: ToneLayout = audio === 'tone' ? [[0, o.durationS]] : audio;
    const expr = toneExpression(layout, o.frequency, o.amplitude);
    args.push('-f', 'lavfi', '-i', `aevalsrc='${expr}':s=48000:d=${o.audioDurationS ?? o.durationS}`);
  }
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (audio !== 'none') args.push('-c:a', 'aac', '-b:a', '96k');
  args.push('-t', String(o.durationS), file);
  await ffmpeg(args);
  return file;
}

/** A WAV sine tone of peak `amplitude` (for background music fixtures). */
export async function makeTone(
  file: string,
  durationS: number,
  frequency = 220,
  amplitude = 0.5,
): Promise<string> {
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=${amplitude}*sin(2*PI*${frequency}*t):s=48000:d=${durationS}`,
    file,
  ]);
  return file;
}

export interface StreamInfo {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  duration?: string;
  sample_rate?: string;
  nb_frames?: string;
  pix_fmt?: string;
}

export async function probeStreams(
  file: string,
): Promise<{ streams: StreamInfo[]; format: { duration: string; format_name: string } }> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
    file,
  ]);
  return JSON.parse(stdout);
}

/** Durations (s) of the first video and audio streams (undefined when absent). */
export async function streamDurations(file: string): Promise<{ video?: number; audio?: number }> {
  const { streams } = await probeStreams(file);
  const d = (type: string): number | undefined => {
    const s = streams.find((x) => x.codec_type === type);
    return s?.duration === undefined ? undefined : Number(s.duration);
  };
  return { video: d('video'), audio: d('audio') };
}

/** One frame at `timeS`, scaled to w×h, as raw rgb24 bytes. */
export async function frameRgb(file: string, timeS: number, w: number, h: number): Promise<Buffer> {
  const { stdout } = await run(
    FFMPEG,
    [
      '-nostdin',
      '-v',
      'error',
      '-ss',
      String(timeS),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `scale=${w}:${h}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 256 << 20 },
  );
  return stdout as unknown as Buffer;
}

/**
 * Several frames — each `[file, timeS]` as `frameRgb` would return it (the first frame at or after the
 * time, scaled to w×h, rgb24) — from ONE ffmpeg run: every shot is an input seeked with `-ss`, its first
 * frame scaled and converted like `frameRgb`'s, and the frames stacked vertically into one picture, whose
 * bytes are the frames' bytes one after the other. Saves a process start per frame.
 */
export async function framesRgb(
  shots: [file: string, timeS: number][],
  w: number,
  h: number,
): Promise<Buffer[]> {
  if (shots.length === 1) return [await frameRgb(shots[0]![0], shots[0]![1], w, h)];
  const inputs = shots.flatMap(([file, t]) => ['-ss', String(t), '-i', file]);
  const graph = `${shots
    .map((_, k) => `[${k}:v:0]trim=end_frame=1,setpts=0,scale=${w}:${h},format=rgb24[f${k}]`)
    .join(';')};${shots.map((_, k) => `[f${k}]`).join('')}vstack=inputs=${shots.length}[out]`;
  const { stdout } = await run(
    FFMPEG,
    [
      ...['-nostdin', '-v', 'error', ...inputs, '-filter_complex', graph, '-map', '[out]'],
      ...['-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { encoding: 'buffer', maxBuffer: 256 << 20 },
  );
  const all = stdout as unknown as Buffer;
  const size = w * h * 3;
  if (all.length !== size * shots.length)
    throw new Error(`framesRgb: got ${all.length} bytes for ${shots.length} frames of ${w}×${h}`);
  return shots.map((_, k) => all.subarray(k * size, (k + 1) * size));
}

/** Mean R, G, B of an rgb24 buffer, optionally within a box `{x, y, w, h}` of a `width`-wide frame. */
export function meanRgb(
  buf: Buffer,
  width?: number,
  box?: { x: number; y: number; w: number; h: number },
): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  const cols = width ?? 1;
  for (let i = 0; i + 2 < buf.length; i += 3) {
    if (box) {
      const px = (i / 3) % cols;
      const py = Math.floor(i / 3 / cols);
      if (px < box.x || px >= box.x + box.w || py < box.y || py >= box.y + box.h) continue;
    }
    sum[0]! += buf[i]!;
    sum[1]! += buf[i + 1]!;
    sum[2]! += buf[i + 2]!;
    n++;
  }
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** Mean absolute byte difference between two equal-size rgb24 buffers (within a box when given). */
export function meanAbsDiff(
  a: Buffer,
  b: Buffer,
  width?: number,
  box?: { x: number; y: number; w: number; h: number },
): number {
  let sum = 0;
  let n = 0;
  const cols = width ?? 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (box) {
      const p = Math.floor(i / 3);
      const px = p % cols;
      const py = Math.floor(p / cols);
      if (px < box.x || px >= box.x + box.w || py < box.y || py >= box.y + box.h) continue;
    }
    sum += Math.abs(a[i]! - b[i]!);
    n++;
  }
  return sum / n;
}
