/**
 * Operations added with the word-accounting planner (issue 13). They join `EditOp` (src/engine/types.ts)
 * and are applied by `applyExtraOp` (src/engine/apply-extras.ts) and compiled by compile/fades-volume.ts
 * and compile/picture-ops.ts.
 */

/** A time range on the timeline, in ms. */
export interface TimeSpan {
  fromMs: number;
  toMs: number;
}

export type ExtraOp =
  /**
   * Several cuts of one instruction, all read on the input's timeline (so "cut 0:05-0:08 and 0:20-0:25"
   * removes exactly those seconds): keep `keep` (everything when empty), minus `cut`, the first
   * `firstMs` and the last `lastMs`.
   */
  | { op: 'ranges'; keep: TimeSpan[]; cut: TimeSpan[]; firstMs?: number; lastMs?: number }
  /** Fade from/to black and silence at the start (`inMs`) and/or the end (`outMs`). */
  | { op: 'fade'; inMs?: number; outMs?: number; picture: boolean; sound: boolean }
  /**
   * Audio gain (linear; 0 = mute) over the whole output, or over `[fromMs, toMs)` of the output
   * timeline, or over its last `lastMs`.
   */
  | { op: 'volume'; gain: number; fromMs?: number; toMs?: number; lastMs?: number }
  | { op: 'rotate'; degrees: 90 | 180 | 270 }
  | { op: 'flip'; axis: 'horizontal' | 'vertical' }
  /** A centre crop to the aspect `w:h`, at the source's resolution (no scaling). */
  | { op: 'crop'; aspect: [number, number] }
  /** An image (logo, watermark) over the picture, in a corner, 15 % of the frame width. */
  | { op: 'logo'; path: string; position: LogoPosition }
  /** Trim the end so the video fits a length limit (a platform's); nothing when it already fits. */
  | { op: 'fit'; maxMs: number; platform?: string }
  /** Silent parts (auto-editor's rules) play `factor`× faster instead of being cut. */
  | { op: 'speedSilence'; factor: number; thresholdDb?: number; marginMs?: number; minCutMs?: number };

export type LogoPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

export const EXTRA_OPS: ReadonlySet<string> = new Set([
  'ranges',
  'fade',
  'volume',
  'rotate',
  'flip',
  'crop',
  'logo',
  'fit',
  'speedSilence',
]);

/** The new ops that change the timeline: they run with the other cuts, before text and music. */
export const EXTRA_CUT_OPS = ['ranges', 'fit', 'speedSilence'] as const;

export function isExtraOp(op: { op: string }): op is ExtraOp {
  return EXTRA_OPS.has(op.op);
}
