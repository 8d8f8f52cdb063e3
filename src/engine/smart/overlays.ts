/**
 * Time-limited overlays on the smart path: a title or lower third over a few seconds re-encodes only the
 * GOPs it covers. The overlay's filters are the full path's own (`textFilters`), run on each re-encoded
 * piece at its place on the output timeline; every other GOP is copied.
 */
import type { Draft } from '../../timeline/index.js';
import { type GraphFile, textFilters } from '../compile/text.js';
import { parseDraft } from '../model/index.js';
import type { Piece } from './smart-render.js';

/** Output frames [from, to) an overlay may change (a frame of margin each side for rounding). */
export interface Span {
  from: number;
  to: number;
}

export interface Overlays {
  spans: Span[];
  /** The filter chain (comma-joined), or undefined when the draft has no text. */
  chain?: string;
  /** Files the chain reads (title text), to write before the run. */
  files: GraphFile[];
}

/** The draft's text overlays at the output canvas, with the frames they touch. */
export function overlaysOf(
  draft: Draft,
  o: { width: number; height: number; fps: number; workDir: string; libass: boolean },
): Overlays {
  const model = parseDraft(draft);
  const files: GraphFile[] = [];
  const clips = model.text.filter((c) => c.end > c.start && c.text);
  const filters = textFilters(
    clips,
    model.timebase,
    { width: o.width, height: o.height, fps: o.fps },
    o.workDir,
    files,
    o.libass,
  );
  const spans = clips.map((c) => ({ from: Math.max(0, c.start - 1), to: c.end + 1 }));
  return { spans, chain: filters.length ? filters.join(',') : undefined, files };
}

/**
 * Splits the copied pieces at their GOP boundaries where an overlay span covers them: every GOP an overlay
 * touches is re-encoded (with `chain`); adjacent runs of one kind over a continuous source stretch are merged.
 */
export function coverOverlays(pieces: Piece[], spans: Span[], cutPoints: number[], chain?: string): Piece[] {
  if (spans.length === 0 || !chain) return pieces;
  const hit = (a: number, b: number) => spans.some((s) => s.from < b && a < s.to);
  const out: Piece[] = [];
  const push = (p: Piece) => {
    const last = out[out.length - 1];
    // runs of the same kind that continue each other become one (one file each, not one per GOP)
    if (last && last.kind === p.kind && last.to === p.from)
      out[out.length - 1] = { ...last, to: p.to, overlay: last.overlay ?? p.overlay };
    else out.push(p);
  };
  let outAt = 0;
  for (const p of pieces) {
    const outFrom = outAt;
    outAt += p.to - p.from;
    if (!hit(outFrom, outAt)) push(p);
    else if (p.kind === 'encode') push({ ...p, overlay: chain });
    else {
      const edges = [p.from, ...cutPoints.filter((k) => k > p.from && k < p.to), p.to];
      for (let k = 0; k + 1 < edges.length; k++) {
        const [a, b] = [edges[k]!, edges[k + 1]!];
        const at = outFrom + a - p.from;
        push(
          hit(at, at + b - a)
            ? { kind: 'encode', from: a, to: b, overlay: chain }
            : { kind: 'copy', from: a, to: b },
        );
      }
    }
  }
  return out;
}
