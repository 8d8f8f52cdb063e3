import { type Clip, clipSource, framesToMs, type Timebase } from '../model/index.js';
import { AUDIO_FORMAT, type GraphBuilder, sec } from './graph.js';
import type { InputTable } from './inputs.js';

export interface Canvas {
  width: number;
  height: number;
  fps: number;
}

export interface Joined {
  video?: string;
  audio?: string;
  durationMs: number;
}

interface Placed {
  clip: Clip;
  file: string;
  input: number;
  durationMs: number;
  transition?: { type: string; ms: number };
}

const FADE_S = 0.01;

/** atempo only takes 0.5–2 per instance (4.1); chain instances for other factors. */
export function atempoChain(speed: number): string[] {
  const parts: string[] = [];
  let rest = speed;
  while (rest > 2) {
    parts.push('atempo=2');
    rest /= 2;
  }
  while (rest < 0.5) {
    parts.push('atempo=0.5');
    rest /= 0.5;
  }
  if (Math.abs(rest - 1) > 1e-6) parts.push(`atempo=${Math.round(rest * 1e6) / 1e6}`);
  return parts;
}

/**
 * Frames of any size, SAR, rate and format → the canvas. `scale` and `pad` are left out when the source's
 * decoded frames already have the canvas size (the clip's `srcSize`): they would change
 * nothing (scale fits by width/height, not SAR), yet cost ~0.35 s of CPU per 3 minutes of 720p in the encode's
 * filter thread. setsar/fps/format stay: cheap, and they give every segment the same SAR, rate and time base
 * (concat needs the SAR, xfade the time base).
 */
function normalizeVideo(c: Canvas, clip?: Clip): string {
  const fits = clip?.srcSize?.width === c.width && clip?.srcSize?.height === c.height;
  const size = fits
    ? ''
    : `scale=${c.width}:${c.height}:force_original_aspect_ratio=decrease,` +
      `pad=${c.width}:${c.height}:(ow-iw)/2:(oh-ih)/2,`;
  return `${size}setsar=1,fps=${c.fps},format=yuv420p`;
}

/** Seconds with microsecond precision (frame boundaries need more than `sec`'s milliseconds). */
function precise(ms: number): string {
  return String(Math.round(ms * 1000) / 1e6);
}

function videoChain(g: GraphBuilder, p: Placed, input: string | undefined, c: Canvas, tb: Timebase): string {
  const d = precise(p.durationMs);
  if (!input)
    return g.source(`color=c=black:s=${c.width}x${c.height}:r=${c.fps}:d=${d},setsar=1,format=yuv420p`, 'v');
  if (p.clip.still) return g.chain(input, `${normalizeVideo(c)},trim=duration=${d},setpts=PTS-STARTPTS`, 'v');
  const src = clipSource(p.clip, tb);
  const speed = p.clip.speed;
  // Half a frame early on both ends: picks exactly the frames whose timestamps fall in [start, end).
  const half = 500 / c.fps;
  const filters = [
    `trim=start=${precise(Math.max(0, src.startMs - half))}:end=${precise(src.endMs - half)}`,
    'setpts=PTS-STARTPTS',
  ];
  if (speed !== 1) filters.push(`setpts=PTS/${speed}`);
  // Exactly the segment's length on every build: clone the last frame if the video runs short (a
  // source whose video ends before its audio, or 4.1's fps after setpts), and cut what runs long
  // (4.1's fps pads to the pre-setpts end of stream).
  filters.push(normalizeVideo(c, p.clip), `tpad=stop_mode=clone:stop_duration=${d}`, `trim=duration=${d}`);
  return g.chain(input, filters.join(','), 'v');
}

function audioChain(g: GraphBuilder, p: Placed, input: string | undefined, tb: Timebase): string {
  const d = p.durationMs / 1000;
  const fades = `afade=t=in:d=${FADE_S},afade=t=out:st=${Math.max(0, d - FADE_S).toFixed(3)}:d=${FADE_S}`;
  if (!input) return g.source(`anullsrc=r=48000:cl=stereo,atrim=duration=${sec(p.durationMs)}`, 'a');
  const src = clipSource(p.clip, tb);
  // Time from the segment's source start, not the audio's first sample: audio that starts late (-itsoffset)
  // keeps its offset, filled with silence from 0 (aresample first_pts), so it stays in sync with the picture.
  const filters = [
    `atrim=start=${precise(src.startMs)}:end=${precise(src.endMs)}`,
    `asetpts=PTS-${precise(src.startMs)}/TB`,
    'aresample=async=1:min_hard_comp=0.01:first_pts=0',
  ];
  filters.push(...atempoChain(p.clip.speed));
  // Pad/cut to the exact segment length so audio and video stay equal after concat.
  filters.push(AUDIO_FORMAT, 'apad', `atrim=duration=${precise(p.durationMs)}`, fades);
  return g.chain(input, filters.join(','), 'a');
}

export interface SegmentOptions {
  canvas: Canvas;
  timebase: Timebase;
  resolve: (src: string) => string;
  withVideo: boolean;
  /** Keep the clips' own audio (false when muted: no audio is decoded). */
  withAudio: boolean;
  /** xfade is available (ffmpeg ≥ 4.3); else overlay + fade alpha + tpad. */
  xfade: boolean;
}

/** Whether a clip's source has this stream (unknown counts as yes; stills have no audio). */
function hasStream(clip: Clip, kind: 'v' | 'a'): boolean {
  return kind === 'v' ? clip.hasVideo !== false : clip.hasAudio !== false && !clip.still;
}

/** Whether any clip plays audio of its own (else no audio stream is made up for them). */
export function anySegmentAudio(clips: Clip[]): boolean {
  return clips.some((c) => hasStream(c, 'a'));
}

/** The video track's clips → normalized per-clip chains → concat (and transitions) → base labels. */
export function joinSegments(g: GraphBuilder, inputs: InputTable, clips: Clip[], o: SegmentOptions): Joined {
  const placed: Placed[] = clips.map((clip) => {
    const file = o.resolve(clip.src);
    const src = clipSource(clip, o.timebase);
    const durationMs = framesToMs(clip.dur, o.timebase);
    const input = clip.still
      ? inputs.add([
          '-loop',
          '1',
          '-framerate',
          String(o.canvas.fps),
          '-t',
          sec(durationMs + 1000),
          '-i',
          file,
        ])
      : inputs.forward(file, src.startMs, src.endMs);
    const t = clip.transition;
    return {
      clip,
      file,
      input,
      durationMs,
      transition: t ? { type: t.type, ms: framesToMs(t.dur, o.timebase) } : undefined,
    };
  });
  // The stream a clip reads: `<input>:v:0`, or `<input>:a:<k>` (k = the clip's `audioStream`, default 0).
  const spec = (p: Placed, kind: 'v' | 'a'): string =>
    `${p.input}:${kind}:${kind === 'a' ? p.clip.audioStream : 0}`;
  const uses = (kind: 'v' | 'a'): Map<string, string[]> => {
    const counts = new Map<string, number>();
    for (const p of placed)
      if (hasStream(p.clip, kind)) counts.set(spec(p, kind), (counts.get(spec(p, kind)) ?? 0) + 1);
    return new Map([...counts].map(([stream, n]) => [stream, g.split(stream, n, kind)]));
  };
  const vUses = o.withVideo ? uses('v') : new Map<string, string[]>();
  const aUses = o.withAudio ? uses('a') : new Map<string, string[]>();
  const segs = placed.map((p) => {
    const take = (m: Map<string, string[]>, kind: 'v' | 'a'): string | undefined =>
      hasStream(p.clip, kind) ? m.get(spec(p, kind))?.shift() : undefined;
    return {
      p,
      video: o.withVideo ? videoChain(g, p, take(vUses, 'v'), o.canvas, o.timebase) : undefined,
      audio: o.withAudio ? audioChain(g, p, take(aUses, 'a'), o.timebase) : undefined,
    };
  });
  // Consecutive segments without a transition are concatenated; groups are joined by transitions.
  const groups: (typeof segs)[] = [];
  for (const s of segs) {
    if (groups.length === 0 || s.p.transition) groups.push([s]);
    else groups[groups.length - 1]!.push(s);
  }
  const joined = groups.map((group) => concatGroup(g, group));
  let acc = joined[0]!;
  for (let k = 1; k < joined.length; k++)
    acc = crossfade(g, acc, joined[k]!, groups[k]![0]!.p.transition!, o);
  return acc;
}

function concatGroup(g: GraphBuilder, group: { p: Placed; video?: string; audio?: string }[]): Joined {
  const durationMs = group.reduce((sum, s) => sum + s.p.durationMs, 0);
  if (group.length === 1) return { video: group[0]!.video, audio: group[0]!.audio, durationMs };
  const v = group[0]!.video !== undefined;
  const a = group[0]!.audio !== undefined;
  const ins = group.flatMap((s) => [s.video, s.audio].filter((l): l is string => l !== undefined));
  const video = v ? g.label('vc') : undefined;
  const audio = a ? g.label('ac') : undefined;
  g.add(
    ins,
    `concat=n=${group.length}:v=${v ? 1 : 0}:a=${a ? 1 : 0}`,
    [video, audio].filter((l): l is string => l !== undefined),
  );
  return { video, audio, durationMs };
}

const XFADE_TYPES: Record<string, string> = {
  fade: 'fade',
  crossfade: 'fade',
  dissolve: 'dissolve',
  wipe: 'wipeleft',
  slide: 'slideleft',
  fadeblack: 'fadeblack',
};

function crossfade(
  g: GraphBuilder,
  a: Joined,
  b: Joined,
  t: { type: string; ms: number },
  o: SegmentOptions,
): Joined {
  const T = sec(t.ms);
  const offsetMs = a.durationMs - t.ms;
  const durationMs = a.durationMs + b.durationMs - t.ms;
  let video: string | undefined;
  if (a.video && b.video) {
    if (o.xfade) {
      video = g.label('vx');
      g.add(
        [a.video, b.video],
        `xfade=transition=${XFADE_TYPES[t.type] ?? 'fade'}:duration=${T}:offset=${sec(offsetMs)}`,
        [video],
      );
    } else {
      // ffmpeg < 4.3: fade the next clip in over a held last frame of the previous one.
      const faded = g.chain(
        b.video,
        `format=yuva420p,fade=t=in:st=0:d=${T}:alpha=1,setpts=PTS+${sec(offsetMs)}/TB`,
        'vf',
      );
      const held = g.chain(a.video, `tpad=stop_mode=clone:stop_duration=${sec(b.durationMs - t.ms)}`, 'vh');
      video = g.label('vx');
      g.add([held, faded], `overlay=eof_action=pass,format=yuv420p,trim=duration=${sec(durationMs)}`, [
        video,
      ]);
    }
  }
  let audio: string | undefined;
  if (a.audio && b.audio) {
    audio = g.label('ax');
    g.add([a.audio, b.audio], `acrossfade=d=${T}:c1=tri:c2=tri`, [audio]);
  }
  return { video, audio, durationMs };
}
