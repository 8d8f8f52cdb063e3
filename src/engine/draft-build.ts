import { type Draft, placeSegments, type Segment, type Track, TrackType } from '../timeline/index.js';
import { clipMeta } from './model/edge.js';
import type { ProbedMedia as MediaInfo } from './probe.js';

/** Default length of a still image on the timeline, in ms. */
export const STILL_MS = 3000;
const DEFAULT_FPS = 30;

/** The nearest even size ≥ 2 (H.264 with 4:2:0 chroma needs even dimensions). */
export const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/**
 * The size of the frames ffmpeg decodes from a source (its display rotation applied), when known: kept in
 * segment meta as `srcWidth`/`srcHeight` so the compiler skips scale/pad for sources already at the canvas size.
 */
function frameSize(info: MediaInfo): { srcWidth: number; srcHeight: number } | undefined {
  if (info.kind !== 'video' || !info.width || !info.height) return undefined;
  const quarterTurn = Math.abs(info.rotation ?? 0) % 180 === 90;
  return quarterTurn
    ? { srcWidth: info.height, srcHeight: info.width }
    : { srcWidth: info.width, srcHeight: info.height };
}

export interface DraftOptions {
  /** Which audio stream (index among a file's audio streams) to use for inputs with several. */
  audioStream?: number;
}

/**
 * The audio stream a source with several plays: `audioStream` when asked, else the one marked default,
 * else the first. Kept in segment meta as `audioStream` only when it is not the first.
 */
export function pickAudioStream(info: MediaInfo, wanted?: number): number {
  const streams = info.audioStreams ?? [];
  if (wanted !== undefined && streams.some((s) => s.index === wanted)) return wanted;
  return streams.find((s) => s.default)?.index ?? 0;
}

function audioStreamMeta(info: MediaInfo, wanted?: number): { audioStream?: number } {
  const k = pickAudioStream(info, wanted);
  return k > 0 ? { audioStream: k } : {};
}

/**
 * A draft with one video track holding the inputs in order (each segment: `src`, `in` = 0, `d`, plus
 * `hasVideo`/`hasAudio` so the compiler needs no probe, and the decoded frame size `srcWidth`/`srcHeight`).
 * Canvas size and fps come from the first input
 * with video (even dimensions; 1280×720 at 30 fps when no input has video).
 */
export function draftFromMedia(media: { src: string; info: MediaInfo }[], opts: DraftOptions = {}): Draft {
  const firstVideo = media.find((m) => m.info.hasVideo && m.info.width && m.info.height)?.info;
  // The canvas is the first video's picture as shown: a portrait phone clip (coded 1280×720, rotated 90°)
  // gives a 720×1280 canvas, not a pillarboxed landscape one.
  const shown = firstVideo ? frameSize(firstVideo) : undefined;
  const first = firstVideo && {
    ...firstVideo,
    width: shown?.srcWidth ?? firstVideo.width,
    height: shown?.srcHeight ?? firstVideo.height,
  };
  const segments: Segment[] = media.map(({ src, info }) => ({
    d: info.kind === 'image' || info.durationMs <= 0 ? STILL_MS : info.durationMs,
    m: {
      name: src.split(/[\\/]/).pop() || src,
      src,
      in: 0,
      hasVideo: info.hasVideo,
      hasAudio: info.hasAudio,
      ...frameSize(info),
      ...audioStreamMeta(info, opts.audioStream),
      ...(info.kind === 'image' ? { still: true } : {}),
    },
  }));
  const draft: Draft = {
    t: [{ tt: TrackType.video, sg: segments }],
    m: {
      width: even(first?.width ?? 1280),
      height: even(first?.height ?? 720),
      fps: first?.fps && first.fps <= 120 ? first.fps : DEFAULT_FPS,
      fx: {},
    },
  };
  syncDuration(draft);
  return draft;
}

export function videoTrack(draft: Draft): Track | undefined {
  return draft.t.find((t) => t.tt === TrackType.video);
}

export function draftFps(draft: Draft): number {
  return draft.m?.fps && draft.m.fps > 0 ? draft.m.fps : DEFAULT_FPS;
}

/** Where the video track ends, in ms. */
export function videoEndMs(draft: Draft): number {
  const track = videoTrack(draft);
  const placed = track ? placeSegments(track) : [];
  return placed.length ? placed[placed.length - 1]!.end : 0;
}

/**
 * Keeps `draft.d` equal to the end of the video track, drops text that now starts after the end and
 * shortens text and music that run past it (music tracks follow the video length).
 */
export function syncDuration(draft: Draft): void {
  const end = round(videoEndMs(draft));
  draft.d = end;
  for (const track of draft.t) {
    if (track.tt === TrackType.video) continue;
    track.sg = track.sg.filter((s) => (s.m?.at ?? 0) < end);
    for (const s of track.sg) {
      const at = s.m?.at ?? 0;
      if (track.tt === TrackType.audio && clipMeta(s).loop === true) s.d = round(end - at);
      else s.d = round(Math.min(s.d, end - at));
    }
  }
}

/** Milliseconds rounded to the microsecond, so frame-snapped values stay readable. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
