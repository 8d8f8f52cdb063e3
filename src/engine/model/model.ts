/**
 * The engine's typed model of a draft: what `parseDraft` (parse.ts) makes of the loose short-key draft
 * (`t`/`tt`/`sg`/`d`/`m`) the server and the engine exchange. Every `m` key the engine reads is here,
 * checked and with its default applied; times are integer frames at `timebase` (time.ts). The wire shapes
 * (`DraftFx`, `ClipMeta`: what the keys hold in a draft, times in ms) are the edge writer's vocabulary
 * (edge.ts); nothing else in the engine reads `m` keys.
 */
import type { OutputFormat } from '../../base/media.js';
import { type Frames, framesToMs, type Timebase } from './time.js';

export type Look = 'warm' | 'cool' | 'cinematic' | 'vintage' | 'bw' | 'vivid';
export type PresetName = 'youtube' | 'tiktok' | 'square' | 'portrait45' | '4k';
export type Corner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
export type TextStyle = 'title' | 'lower-third' | 'caption';

export interface Loudnorm {
  i: number;
  tp: number;
  lra: number;
}

export type Grade = { look: Look } | { look: 'lut'; lut: string };

/** One picture operation on the joined video (`fx.picture`, applied in order). */
export type PictureStep =
  | { rotate: 90 | 180 | 270 }
  | { flip: 'horizontal' | 'vertical' }
  | { crop: [number, number] };

/** `m.fx` as a draft holds it (times in ms). */
export interface DraftFx {
  mute?: boolean;
  denoise?: boolean;
  stabilize?: boolean;
  format?: OutputFormat;
  loudnorm?: Loudnorm;
  grade?: Grade;
  preset?: { name: PresetName; fit?: 'blur' | 'crop' };
  enhance?: { scale?: number };
  fade?: { inMs?: number; outMs?: number; picture?: boolean; sound?: boolean };
  volume?: { gain: number; fromMs?: number; toMs?: number; lastMs?: number }[];
  picture?: PictureStep[];
  logo?: { path: string; position: Corner };
}

/** The engine's keys of a segment's `m` besides those `src/timeline/draft.ts` types (`loop`/`duck`: music). */
export interface ClipMeta {
  hasVideo?: boolean;
  hasAudio?: boolean;
  still?: boolean;
  srcWidth?: number;
  srcHeight?: number;
  audioStream?: number;
  transition?: { type?: string; d: number };
  loop?: boolean;
  duck?: boolean;
}

/** Whole-output effects, times in frames. */
export interface Fx {
  mute: boolean;
  denoise: boolean;
  stabilize: boolean;
  format?: OutputFormat;
  loudnorm?: Loudnorm;
  grade?: Grade;
  preset?: { name: PresetName; fit: 'blur' | 'crop' };
  enhance?: { scale?: number };
  /** `in`/`out`: fade lengths (0: none); `picture`/`sound`: which parts fade. */
  fade?: { in: Frames; out: Frames; picture: boolean; sound: boolean };
  /** Gain steps; a range `from`–`to` (output time), or the `last` frames, or the whole output. */
  volume: { gain: number; from?: Frames; to?: Frames; last?: Frames }[];
  picture: PictureStep[];
  logo?: { path: string; position: Corner };
}

/** Where a segment sits on the timeline (`placeSegments`, in frames). */
export interface Placed {
  start: Frames;
  end: Frames;
}

/** A segment of the video track. */
export interface Clip extends Placed {
  /** Its index in the draft's video track. */
  index: number;
  src: string;
  /** Source in-point. */
  in: Frames;
  /** Timeline length (`end - start`). */
  dur: Frames;
  speed: number;
  /** Whether the source has a picture / sound; undefined: not known (the runner probes). */
  hasVideo?: boolean;
  hasAudio?: boolean;
  still: boolean;
  /** The source's decoded frame size (rotation applied), when known. */
  srcSize?: { width: number; height: number };
  /** The audio stream (index among the source's audio streams) the clip plays. */
  audioStream: number;
  /** A transition from the previous clip, overlapping it by `dur`. */
  transition?: { type: string; dur: Frames };
}

/**
 * The source range a clip plays, in ms: `[in, in + length × speed]` (the length in ms first, as
 * `sourceRange` in timeline-cut.ts computes it from a draft segment).
 */
export function clipSource(clip: Clip, tb: Timebase): { startMs: number; endMs: number } {
  const startMs = framesToMs(clip.in, tb);
  return { startMs, endMs: startMs + framesToMs(clip.dur, tb) * clip.speed };
}

/** A segment of an audio (music) track. */
export interface MusicClip extends Placed {
  src?: string;
  dur: Frames;
  volume: number;
  loop: boolean;
  duck: boolean;
}

/** A segment of a text track. */
export interface TextClip extends Placed {
  text: string;
  style: TextStyle;
  /** Fade in/out length (default 500 ms). */
  fade: Frames;
}

export interface EngineModel {
  timebase: Timebase;
  /** `timebase` as a number: the draft's `m.fps` (default 30). */
  fps: number;
  /** The canvas: `m.width`/`m.height` made even (default 1280×720). */
  width: number;
  height: number;
  /** The draft's length: `d` when set, else the end of its last segment. */
  duration: Frames;
  /** Whether the draft has a video track (it may have no segments). */
  hasVideoTrack: boolean;
  video: Clip[];
  /** Audio-track segments, track by track. */
  music: MusicClip[];
  /** Text-track segments, track by track. */
  text: TextClip[];
  fx: Fx;
}
