/**
 * Whether an edit can be smart-rendered (stream-copy the GOPs it does not touch, re-encode only the frames
 * around each cut), decided before any work: the draft must be a cut-only edit of one H.264 file, and the
 * source must be 8-bit 4:2:0 H.264 at a constant frame rate with closed IDR GOPs. Titles and music are
 * allowed (a title re-encodes the GOPs under it; music changes only the sound). Anything else takes the
 * full re-encode, and `reasons` says why, in words the plan output prints.
 */
import { type Draft, TrackType } from '../../timeline/index.js';
import { videoTrack } from '../draft-build.js';
import { sourceRange } from '../timeline-cut.js';
import type { SourceScan } from './gop.js';

/**
 * Below this share of output frames stream-copied, a smart render is not worth its extra runs. From the
 * sweep `bench/sweeps/copy-share.mjs` ("trim silences", 60 s 720p30, GOPs of 1-4 s; smart / full, best of
 * two): 79 % copied 0.40, 61 % 0.53, 30 % 0.74, 16 % 0.85 — the smart path still pays at 16 %; 25 % keeps a
 * margin for slower sources and busier machines.
 */
export const MIN_COPY_SHARE = 0.25;

/**
 * Below this much copied picture (frames × width × height), the smart path's fixed cost (the scan, the
 * probe encode, the split, the join: about seven more ffmpeg runs, 1.5–2.5 s here) outweighs the encode it
 * saves: a 6 s 320×180 cut took 3.4–4.0 s smart against 1.2–1.6 s re-encoded. 2·10⁸ is about 7 s of 720p30
 * or 3.5 s of 1080p30 copied: about break-even, at the full path's ~1.3·10⁸ pixels a second here.
 */
export const MIN_COPIED_PIXELS = 200_000_000;

/** Segment meta keys a cut-only edit writes; any other key (speed, transition, still, …) needs the full path. */
const CUT_ONLY_SEGMENT_KEYS = new Set([
  'name',
  'src',
  'in',
  'hasVideo',
  'hasAudio',
  'srcWidth',
  'srcHeight',
  'audioStream',
]);

/** What the draft-level words for whole-clip effects are, by `fx` key. */
const FX_WORDS: Record<string, string> = {
  mute: 'mute',
  denoise: 'denoise',
  loudnorm: 'loudness normalization',
  grade: 'a colour grade',
  preset: 'a platform preset (size change)',
  enhance: 'enhance',
  stabilize: 'stabilize',
  fade: 'fades',
  volume: 'volume changes',
  picture: 'rotate/flip/crop',
  logo: 'a logo overlay',
};

export interface CutRange {
  /** Source range in ms [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** The segment's timeline length (ms). */
  durationMs: number;
}

export interface DraftCheck {
  /** Reasons the draft needs the full path (empty: a cut-only edit of one file). */
  reasons: string[];
  src?: string;
  ranges: CutRange[];
  /** The draft mixes in other sound (music): the source's audio cannot be stream-copied. */
  hasMusic: boolean;
  /** The source audio stream the edit plays (undefined: the edit plays no sound of the source). */
  audioStream?: number;
}

/** The draft-level rules: one source, cuts (and titles, music) only, no whole-clip effects, mp4 out. Pure. */
export function checkDraft(draft: Draft, format: string): DraftCheck {
  const reasons: string[] = [];
  if (format !== 'mp4') reasons.push(`the output is ${format}, not mp4`);
  const fx = (draft.m?.fx ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fx)) {
    if (key === 'format' && (fx.format === undefined || fx.format === 'mp4')) continue;
    if (fx[key] === undefined || fx[key] === false) continue;
    if (key === 'volume' && Array.isArray(fx.volume) && fx.volume.length === 0) continue;
    reasons.push(`the edit applies ${FX_WORDS[key] ?? key} to the whole clip`);
  }
  // Titles re-encode only the GOPs they cover (overlays.ts); music only changes the sound, which the
  // smart path encodes through the full path's own audio graph: neither needs the whole picture re-encoded.
  const extras = draft.t.filter((t) => t.tt !== TrackType.video && t.sg.length > 0);
  const hasMusic = extras.some((t) => t.tt !== TrackType.text);
  const videoTracks = draft.t.filter((t) => t.tt === TrackType.video && t.sg.length > 0);
  if (videoTracks.length > 1) reasons.push('the draft has several video tracks');
  const track = videoTrack(draft);
  const segments = track?.sg ?? [];
  if (segments.length === 0) reasons.push('the draft has no video');
  const srcs = new Set(segments.map((s) => s.m?.src));
  if (srcs.size > 1) reasons.push('the edit joins several inputs');
  const ranges: CutRange[] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const s of segments) {
    const extra = Object.keys(s.m ?? {}).filter(
      (k) => !CUT_ONLY_SEGMENT_KEYS.has(k) && (s.m as Record<string, unknown>)[k] !== undefined,
    );
    const speed = (s.m as Record<string, unknown> | undefined)?.speed;
    for (const k of extra) {
      if (k === 'speed' && speed === 1) continue;
      const word =
        k === 'speed'
          ? 'a speed change'
          : k === 'transition'
            ? 'a transition'
            : k === 'still'
              ? 'a still image'
              : k;
      const reason = `the edit has ${word}`;
      if (!reasons.includes(reason)) reasons.push(reason);
    }
    if (s.m?.hasVideo === false) reasons.push('an input has no video');
    const r = sourceRange(s);
    if (r.startMs < lastEnd) {
      const reason = 'the kept parts are not in source order';
      if (!reasons.includes(reason)) reasons.push(reason);
    }
    lastEnd = r.endMs;
    ranges.push({ startMs: r.startMs, endMs: r.endMs, durationMs: s.d });
  }
  const first = segments[0]?.m;
  if (
    first?.srcWidth !== undefined &&
    (first.srcWidth !== draft.m?.width || first.srcHeight !== draft.m?.height)
  )
    reasons.push('the output size differs from the source');
  const audioStream = first?.hasAudio === false ? undefined : Number(first?.audioStream ?? 0);
  return { reasons, src: [...srcs][0], ranges, hasMusic, audioStream };
}

/** The source-level rules, from a packet scan. */
export function checkSource(scan: SourceScan, draftFps: number): string[] {
  const reasons: string[] = [];
  if (scan.codec !== 'h264') reasons.push(`the source video is ${scan.codec ?? 'unknown'}, not H.264`);
  if (!/(^|,)(mov|mp4)(,|$)/.test(scan.formatName)) reasons.push('the source is not an MP4/MOV file');
  if (scan.codec === 'h264' && !scan.isAvc) reasons.push('the source H.264 is not length-prefixed (avcC)');
  if (scan.pixFmt !== 'yuv420p')
    reasons.push(`the source pixel format is ${scan.pixFmt ?? 'unknown'}, not 8-bit yuv420p`);
  if (scan.bitsPerRawSample !== undefined && scan.bitsPerRawSample !== 8)
    reasons.push('the source is not 8-bit');
  if (scan.fieldOrder && scan.fieldOrder !== 'progressive' && scan.fieldOrder !== 'unknown')
    reasons.push('the source is interlaced');
  if (!scan.cfr) reasons.push('the source frame rate is variable');
  else if (Math.abs(scan.fpsNum / scan.fpsDen - draftFps) > 0.01)
    reasons.push('the output frame rate differs from the source');
  if (scan.rotation !== 0) reasons.push('the source has a display rotation');
  if (scan.videoStreams !== 1) reasons.push('the source has several video streams');
  if (scan.firstPts !== 0) reasons.push('the source video does not start at time 0');
  if (scan.cutPoints.length === 0 || scan.cutPoints[0] !== 0)
    reasons.push('the source has no closed IDR keyframes to cut at');
  else if (scan.unsafeKeyframes.length > 0) reasons.push('the source has open-GOP or non-IDR keyframes');
  return reasons;
}
