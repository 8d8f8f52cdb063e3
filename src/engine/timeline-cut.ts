import { placeSegments, type Segment, type Track, trackDuration } from '../timeline/index.js';
import { round } from './draft-build.js';
import { withoutClipMeta } from './model/edge.js';

/** A time range in ms (timeline or source time, as the caller says). */
export interface Range {
  startMs: number;
  endMs: number;
}

/** Source range a segment plays: `[in, in + d × speed]`. */
export function sourceRange(segment: Segment): Range {
  const start = segment.m?.in ?? 0;
  return { startMs: start, endMs: start + segment.d * segmentSpeed(segment) };
}

export function segmentSpeed(segment: Segment): number {
  const s = segment.m?.speed;
  return typeof s === 'number' && s > 0 ? s : 1;
}

/** A piece of `segment` covering source `[startMs, endMs)` (a transition stays only on the first piece). */
function piece(segment: Segment, range: Range, first: boolean): Segment {
  const speed = segmentSpeed(segment);
  const m = { ...segment.m, in: round(range.startMs) };
  return {
    ...segment,
    d: round((range.endMs - range.startMs) / speed),
    m: first ? m : withoutClipMeta(m, 'transition'),
  };
}

/**
 * Keeps only the timeline `ranges` of a video track (sorted, non-overlapping); every segment is split
 * into the pieces that fall inside them. Returns the total timeline ms removed.
 */
export function keepTimelineRanges(track: Track, ranges: Range[]): number {
  const before = trackDuration(track);
  const out: Segment[] = [];
  for (const { segment, start, end } of placeSegments(track)) {
    const speed = segmentSpeed(segment);
    const source = sourceRange(segment);
    let first = true;
    for (const r of ranges) {
      const a = Math.max(start, r.startMs);
      const b = Math.min(end, r.endMs);
      if (b - a < 1) continue;
      const startMs = source.startMs + (a - start) * speed;
      out.push(piece(segment, { startMs, endMs: startMs + (b - a) * speed }, first && a === start));
      first = false;
    }
  }
  track.sg = out;
  return before - trackDuration(track);
}

/** Keeps only the source `ranges` of one segment; returns its pieces. */
export function keepSourceRanges(segment: Segment, ranges: Range[]): Segment[] {
  const source = sourceRange(segment);
  return ranges
    .map((r) => ({ startMs: Math.max(r.startMs, source.startMs), endMs: Math.min(r.endMs, source.endMs) }))
    .filter((r) => r.endMs - r.startMs >= 1)
    .map((r, k) => piece(segment, r, k === 0 && r.startMs === source.startMs));
}

/** Where source time `ms` of `src` lands on the timeline, for every segment that plays it. */
export function sourceToTimeline(track: Track, src: string, range: Range): Range[] {
  const out: Range[] = [];
  for (const { segment, start } of placeSegments(track)) {
    if (segment.m?.src !== src) continue;
    const source = sourceRange(segment);
    const a = Math.max(range.startMs, source.startMs);
    const b = Math.min(range.endMs, source.endMs);
    if (b <= a) continue;
    const speed = segmentSpeed(segment);
    out.push({
      startMs: round(start + (a - source.startMs) / speed),
      endMs: round(start + (b - source.startMs) / speed),
    });
  }
  return out;
}

/** Snaps a timeline ms value to the nearest frame boundary. */
export function snapToFrame(ms: number, fps: number): number {
  return round((Math.round((ms * fps) / 1000) * 1000) / fps);
}
