import { z } from 'zod';

/**
 * The NemoVideo short-key draft (protocol §6): `t` tracks, `tt` track type, `sg` segments,
 * `d` duration in milliseconds, `m` metadata. Every object is "loose": unknown keys are kept,
 * because a draft read from the server must go back to render byte for byte (§12.15).
 *
 * Metadata keys nemo itself reads or writes (all optional, all in `m`):
 * - segment: `name`, `src` (URL or local path), `in` (source in-point, ms), `at` (timeline start, ms;
 *   video segments without `at` follow one another), `speed`, `volume` (0..1+), `text`,
 *   `style` ('title' | 'lower-third' | 'caption'), `fade` (ms), `transition` ({type, d}),
 *   `loop`, `duck`.
 * - draft: `title`, `width`, `height`, `fps`, and `fx` (whole-output effects applied by the local
 *   engine: grade, loudnorm, denoise, enhance, stabilize, mute, preset, format).
 */
export const TrackType = { video: 0, audio: 1, text: 7 } as const;
export type TrackTypeName = keyof typeof TrackType;

export const SegmentMetaSchema = z.looseObject({
  name: z.string().optional(),
  src: z.string().optional(),
  in: z.number().optional(),
  at: z.number().optional(),
  speed: z.number().optional(),
  volume: z.number().optional(),
  text: z.string().optional(),
  style: z.string().optional(),
  fade: z.number().optional(),
});

export const SegmentSchema = z.looseObject({
  d: z.number(),
  m: SegmentMetaSchema.optional(),
});

export const TrackSchema = z.looseObject({
  tt: z.number(),
  sg: z.array(SegmentSchema),
  m: z.looseObject({ name: z.string().optional() }).optional(),
});

export const DraftMetaSchema = z.looseObject({
  title: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  fps: z.number().optional(),
  fx: z.record(z.string(), z.unknown()).optional(),
});

export const DraftSchema = z.looseObject({
  d: z.number().optional(),
  m: DraftMetaSchema.optional(),
  t: z.array(TrackSchema),
});

export type SegmentMeta = z.infer<typeof SegmentMetaSchema>;
export type Segment = z.infer<typeof SegmentSchema>;
export type Track = z.infer<typeof TrackSchema>;
export type DraftMeta = z.infer<typeof DraftMetaSchema>;
export type Draft = z.infer<typeof DraftSchema>;

/** Parses a draft tolerantly; returns undefined when the value is not draft-shaped. */
export function parseDraft(value: unknown): Draft | undefined {
  const r = DraftSchema.safeParse(value);
  return r.success ? r.data : undefined;
}

export function trackTypeName(tt: number): TrackTypeName | 'other' {
  if (tt === TrackType.video) return 'video';
  if (tt === TrackType.audio) return 'audio';
  if (tt === TrackType.text) return 'text';
  return 'other';
}

export interface PlacedSegment {
  segment: Segment;
  /** Timeline start and end, in ms. */
  start: number;
  end: number;
}

/**
 * Where each segment of a track sits on the timeline. Segments with `m.at` sit there; others
 * follow the previous segment (video clips play one after the other). A transition of `d` ms
 * into a segment overlaps it with the previous one.
 */
export function placeSegments(track: Track): PlacedSegment[] {
  let cursor = 0;
  return track.sg.map((segment) => {
    const overlap = transitionMs(segment);
    const start = segment.m?.at ?? Math.max(0, cursor - overlap);
    const end = start + segment.d;
    cursor = end;
    return { segment, start, end };
  });
}

export function transitionMs(segment: Segment): number {
  const t = segment.m?.transition as { d?: unknown } | undefined;
  return typeof t?.d === 'number' && t.d > 0 ? t.d : 0;
}

/** The sum of a track's segment durations, in ms (overlaps and `at` positions not considered). */
export function trackDuration(track: Track): number {
  return track.sg.reduce((sum, s) => sum + s.d, 0);
}

/** The draft's length in ms: `d` when set, else the end of its last segment. */
export function draftDuration(draft: Draft): number {
  if (typeof draft.d === 'number' && draft.d > 0) return draft.d;
  let end = 0;
  for (const track of draft.t) for (const p of placeSegments(track)) end = Math.max(end, p.end);
  return end;
}
