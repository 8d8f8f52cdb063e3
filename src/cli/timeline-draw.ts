import {
  type Draft,
  draftDuration,
  fmtSeconds,
  placeSegments,
  type TrackTypeName,
  trackLabel,
  trackTypeName,
} from '../timeline/index.js';

export type Paint = (type: TrackTypeName | 'other', text: string) => string;

const GLYPHS = ['█', '▓'];
const LABEL = 12;

function ruler(width: number, totalMs: number): string {
  const cells = Array.from({ length: width + 1 }, () => ' ');
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const label = `${fmtSeconds(totalMs * f)}s`;
    const at = Math.min(
      width + 1 - label.length,
      Math.max(0, Math.round(f * width) - (f === 0 ? 0 : Math.floor(label.length / 2))),
    );
    for (let i = 0; i < label.length; i++) cells[at + i] = label[i]!;
  }
  return `${' '.repeat(LABEL + 1)}${cells.join('').trimEnd()}`;
}

/**
 * The draft drawn as lanes, one per track: each segment is a bar scaled to its duration (adjacent
 * segments alternate █/▓ so cuts show), with a time ruler above. `paint` colours a lane by track type.
 */
export function drawTimeline(
  draft: Draft | undefined,
  opts: { width?: number; paint?: Paint } = {},
): string[] {
  if (!draft || draft.t.length === 0) return ['(no tracks yet)'];
  const width = Math.max(10, opts.width ?? 60);
  const total = draftDuration(draft) || 1;
  const paint: Paint = opts.paint ?? ((_t, s) => s);
  const lines = [ruler(width, total)];
  draft.t.forEach((track, ti) => {
    const cells = Array.from({ length: width }, () => '·');
    placeSegments(track).forEach((p, i) => {
      const from = Math.floor((p.start / total) * width);
      const to = Math.max(from + 1, Math.round((p.end / total) * width));
      for (let c = from; c < Math.min(to, width); c++) cells[c] = GLYPHS[i % GLYPHS.length]!;
    });
    const label = `${ti + 1} ${trackLabel(track)}`.slice(0, LABEL).padEnd(LABEL);
    lines.push(`${label}|${paint(trackTypeName(track.tt), cells.join(''))}|`);
  });
  return lines;
}
