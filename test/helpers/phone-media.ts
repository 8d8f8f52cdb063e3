/**
 * Fixtures shaped like footage from phones and cameras, generated with ffmpeg: rotated (portrait) clips
 * with a coloured-quadrant picture, variable frame rate, no audio, several audio streams, other sample
 * rates and channel layouts, stills, HEVC, VP9/WebM, ProRes/MOV, 10-bit, truncated files.
 */
import { execFile } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ffmpeg } from './media.js';

const run = promisify(execFile);
const FFPROBE = process.env.FIXTURE_FFPROBE ?? 'ffprobe';

/** The colours of the quadrant picture: top-left, top-right, bottom-left, bottom-right (RGB). */
export const QUADRANTS = {
  tl: [255, 0, 0],
  tr: [0, 255, 0],
  bl: [0, 0, 255],
  br: [255, 255, 255],
} as const;

/** A lavfi picture of four solid quadrants (red, green / blue, white) at w×h. */
export function quadrantSource(w: number, h: number, fps: number, durationS: number): string {
  const hw = w / 2;
  const hh = h / 2;
  return (
    `color=c=white:s=${w}x${h}:r=${fps}:d=${durationS},` +
    `drawbox=x=0:y=0:w=${hw}:h=${hh}:c=red:t=fill,` +
    `drawbox=x=${hw}:y=0:w=${hw}:h=${hh}:c=lime:t=fill,` +
    `drawbox=x=0:y=${hh}:w=${hw}:h=${hh}:c=blue:t=fill`
  );
}

export interface PhoneClipOptions {
  durationS: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Display rotation written as the `rotate` tag (ffmpeg 5.1 turns it into a display matrix). */
  rotate?: 0 | 90 | 180 | 270;
  /** 'tone' (default): a 440 Hz tone; 'none': no audio stream. */
  audio?: 'tone' | 'none';
  sampleRate?: number;
  /** Channel layout of the audio: mono, stereo, 5.1. */
  layout?: 'mono' | 'stereo' | '5.1';
  picture?: 'quadrants' | 'testsrc2';
}

/** An H.264/AAC mp4 like a phone's: optional rotation tag, any sample rate / layout, or no audio. */
export async function makePhoneClip(file: string, o: PhoneClipOptions): Promise<string> {
  const w = o.width ?? 320;
  const h = o.height ?? 180;
  const fps = o.fps ?? 30;
  const video =
    o.picture === 'testsrc2'
      ? `testsrc2=s=${w}x${h}:r=${fps}:d=${o.durationS}`
      : quadrantSource(w, h, fps, o.durationS);
  const args = ['-f', 'lavfi', '-i', video];
  if (o.audio !== 'none')
    args.push(
      '-f',
      'lavfi',
      '-i',
      `sine=f=440:r=${o.sampleRate ?? 48000}:d=${o.durationS},aformat=channel_layouts=${o.layout ?? 'stereo'}`,
    );
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (o.audio !== 'none') args.push('-c:a', 'aac', '-b:a', '96k');
  args.push('-t', String(o.durationS));
  if (!o.rotate) {
    await ffmpeg([...args, file]);
    return file;
  }
  const plain = `${file}.plain.mp4`;
  await ffmpeg([...args, plain]);
  await ffmpeg(['-i', plain, '-map', '0', '-c', 'copy', '-metadata:s:v:0', `rotate=${o.rotate}`, file]);
  return file;
}

/**
 * A variable-frame-rate clip: `fastS` seconds at 30 fps, then `slowS` seconds at 10 fps (every third
 * frame kept, `-vsync vfr`), a moving testsrc2 picture so every kept frame differs; a tone throughout.
 */
export async function makeVfrClip(file: string, fastS: number, slowS: number): Promise<string> {
  const d = fastS + slowS;
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=320x180:r=30:d=${d}`],
    ...['-f', 'lavfi', '-i', `sine=f=440:r=48000:d=${d}`],
    ...['-vf', `select='lt(t,${fastS})+not(mod(n,3))'`, '-vsync', 'vfr'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file],
  ]);
  return file;
}

/** A clip with two audio streams (camera style): #0 440 Hz, #1 1000 Hz; `defaultStream` gets disposition default. */
export async function makeTwoAudioClip(
  file: string,
  durationS: number,
  defaultStream: 0 | 1,
): Promise<string> {
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=320x180:r=30:d=${durationS}`],
    ...['-f', 'lavfi', '-i', `sine=f=440:r=48000:d=${durationS}`],
    ...['-f', 'lavfi', '-i', `sine=f=1000:r=48000:d=${durationS}`],
    ...['-map', '0:v', '-map', '1:a', '-map', '2:a'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
    ...['-disposition:a:0', defaultStream === 0 ? 'default' : '0'],
    ...['-disposition:a:1', defaultStream === 1 ? 'default' : '0'],
    ...['-metadata:s:a:0', 'title=camera', '-metadata:s:a:1', 'title=lavalier'],
    file,
  ]);
  return file;
}

/** A still image (png or jpg, by extension) of the quadrant picture. */
export async function makeStill(file: string, w: number, h: number): Promise<string> {
  await ffmpeg(['-f', 'lavfi', '-i', quadrantSource(w, h, 1, 1), '-frames:v', '1', file]);
  return file;
}

/** Clips in other codecs/containers: HEVC mp4, VP9/Opus webm, ProRes/PCM mov, 10-bit H.264. */
export async function makeCodecClip(
  file: string,
  codec: 'hevc' | 'vp9' | 'prores' | 'h264-10bit',
  o: {
    durationS: number;
    width?: number;
    height?: number;
    fps?: number;
    sampleRate?: number;
    layout?: string;
  },
): Promise<string> {
  const w = o.width ?? 320;
  const h = o.height ?? 180;
  const fps = o.fps ?? 30;
  const args = [
    ...['-f', 'lavfi', '-i', `testsrc2=s=${w}x${h}:r=${fps}:d=${o.durationS}`],
    ...[
      '-f',
      'lavfi',
      '-i',
      `sine=f=440:r=${o.sampleRate ?? 48000}:d=${o.durationS},aformat=channel_layouts=${o.layout ?? 'stereo'}`,
    ],
  ];
  const codecs: Record<typeof codec, string[]> = {
    hevc: [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-pix_fmt',
      'yuv420p10le',
      '-tag:v',
      'hvc1',
      '-c:a',
      'aac',
    ],
    vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-c:a', 'libopus'],
    prores: ['-c:v', 'prores_ks', '-profile:v', '0', '-pix_fmt', 'yuv422p10le', '-c:a', 'pcm_s16le'],
    'h264-10bit': ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-c:a', 'aac'],
  };
  await ffmpeg([...args, ...codecs[codec], '-t', String(o.durationS), file]);
  return file;
}

/** Cuts `file` to the first `fraction` of its bytes (a recording the phone never finished writing). */
export async function truncate(file: string, fraction: number): Promise<string> {
  const { size } = await stat(file);
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(Math.floor(size * fraction));
  } finally {
    await handle.close();
  }
  return file;
}

/** Every video frame's presentation time (ffprobe -show_frames). */
export async function videoFrameTimes(file: string): Promise<number[]> {
  const { stdout } = await run(
    FFPROBE,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
    { maxBuffer: 64 << 20 },
  );
  return stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((n) => Number.isFinite(n));
}

/** The number of distinct pictures in the video (consecutive near-duplicates dropped by mpdecimate). */
export async function distinctFrames(file: string): Promise<number> {
  const stderr = await ffmpeg(['-i', file, '-map', '0:v:0', '-vf', 'mpdecimate,showinfo', '-f', 'null', '-']);
  return (stderr.match(/\] n: *\d+/g) ?? []).length;
}

/** Decode errors ffmpeg reports for the whole file (empty when it decodes cleanly). */
export async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run(
    process.env.FIXTURE_FFMPEG ?? 'ffmpeg',
    ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'],
    {
      maxBuffer: 64 << 20,
    },
  );
  return stderr.trim();
}

/** The side data of the first video stream (display matrix etc.), as ffprobe reports it. */
export async function videoSideData(file: string): Promise<{ rotation?: number }[]> {
  const { stdout } = await run(FFPROBE, [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-of', 'json', file],
  ]);
  const s = (
    JSON.parse(stdout) as {
      streams: { side_data_list?: { rotation?: number }[]; tags?: { rotate?: string } }[];
    }
  ).streams[0];
  return [...(s?.side_data_list ?? []), ...(s?.tags?.rotate ? [{ rotation: Number(s.tags.rotate) }] : [])];
}

/** The overall RMS level (dB) of an audio stream, after `filter` (e.g. a bandpass to find a tone) when given. */
export async function audioRmsDb(file: string, filter?: string, streamSpec = '0:a:0'): Promise<number> {
  const astats = 'astats=measure_overall=RMS_level:measure_perchannel=0';
  const stderr = await ffmpeg([
    ...['-i', file, '-map', streamSpec, '-af', filter ? `${filter},${astats}` : astats, '-f', 'null', '-'],
  ]);
  const m = /RMS level dB: (-?[\d.]+|-inf)/.exec(stderr);
  return m ? Number(m[1]) : Number.NEGATIVE_INFINITY;
}

/** The level (dB) of a tone of `hz` in the audio: a narrow bandpass around it, then the RMS. */
export function toneLevelDb(file: string, hz: number): Promise<number> {
  return audioRmsDb(file, `bandpass=f=${hz}:width_type=q:w=8,bandpass=f=${hz}:width_type=q:w=8`);
}

/** Silences (start, end in s) of the output's audio, at −50 dB for at least `minS`. */
export async function silencesOf(file: string, minS = 0.3): Promise<[number, number][]> {
  const stderr = await ffmpeg([
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    `silencedetect=n=-50dB:d=${minS}`,
    '-f',
    'null',
    '-',
  ]);
  const starts = [...stderr.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => Number(m[1]));
  const ends = [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
  return starts.map((s, k) => [Math.max(0, s), ends[k] ?? Number.NaN]);
}
