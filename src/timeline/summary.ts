import { type Draft, placeSegments, type Segment, type Track, TrackType } from './draft.js';

/** Seconds, trimmed: 10000 → "10", 2500 → "2.5". */
export function fmtSeconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

export function trackLabel(track: Track): string {
  if (track.tt === TrackType.video) return 'Video';
  if (track.tt === TrackType.audio) return 'BGM';
  if (track.tt === TrackType.text) {
    const style = track.sg[0]?.m?.style;
    if (style === 'caption') return 'Captions';
    if (style === 'lower-third') return 'Lower third';
    return 'Title';
  }
  return `Track type ${track.tt}`;
}

function segmentName(track: Track, seg: Segment): string {
  const m = seg.m ?? {};
  if (track.tt === TrackType.text && m.text !== undefined) return JSON.stringify(m.text);
  if (m.name) return m.name;
  if (m.src) return m.src.split(/[\\/]/).pop() || m.src;
  return 'untitled';
}

function describeTrack(track: Track): string {
  const placed = placeSegments(track);
  if (placed.length === 0) return `${trackLabel(track)}: (empty)`;
  const first = placed[0]!;
  const last = placed[placed.length - 1]!;
  const extras: string[] = [];
  const vol = first.segment.m?.volume;
  if (track.tt === TrackType.audio && typeof vol === 'number') extras.push(`${Math.round(vol * 100)}%`);
  const range = `${fmtSeconds(first.start)}-${fmtSeconds(last.end)}s`;
  const name =
    placed.length === 1
      ? segmentName(track, first.segment)
      : track.tt === TrackType.text && first.segment.m?.style === 'caption'
        ? `${placed.length} lines`
        : `${placed.length} clips`;
  return `${trackLabel(track)}: ${name} (${[range, ...extras].join(', ')})`;
}

/**
 * One line in the format the vendor documents:
 * `Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)`
 */
export function summarize(draft: Draft | undefined): string {
  if (!draft || draft.t.length === 0) return 'Timeline (0 tracks): empty';
  const n = draft.t.length;
  const parts = draft.t.map((track, i) => `${i + 1}. ${describeTrack(track)}`);
  return `Timeline (${n} track${n === 1 ? '' : 's'}): ${parts.join(' ')}`;
}
