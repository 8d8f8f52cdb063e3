/**
 * The edge where the engine writes drafts: the short `m` keys it sets (`fx`, a video segment's
 * `hasVideo`/`hasAudio`/`still`/`transition`…), typed by `DraftFx` and `ClipMeta`. The draft types of
 * src/timeline keep `m` loose (unknown keys survive a round trip to the server), so this is the one place
 * that views those loose records through the engine's types.
 */
import type { Draft, Segment } from '../../timeline/index.js';
import type { ClipMeta, DraftFx } from './model.js';

/** The draft's `m.fx`, created when missing, to read and set keys on. */
export function draftFx(draft: Draft): DraftFx {
  draft.m ??= {};
  draft.m.fx ??= {};
  return draft.m.fx as DraftFx;
}

/** The draft's `m.fx` as it is (empty when missing), without creating it. */
export function readFx(draft: Draft): Readonly<DraftFx> {
  return (draft.m?.fx ?? {}) as DraftFx;
}

/** A segment's engine keys (`ClipMeta`); the values are checked when the draft is parsed. */
export function clipMeta(segment: Segment): Readonly<ClipMeta> {
  return (segment.m ?? {}) as ClipMeta;
}

/** Sets engine keys on a video segment (a new `m`: segments may be shared with the draft it came from). */
export function setClipMeta(segment: Segment, keys: ClipMeta): void {
  segment.m = { ...segment.m, ...keys };
}

/** Removes engine keys from a segment's `m` (a copy). */
export function withoutClipMeta(meta: Segment['m'], ...keys: (keyof ClipMeta)[]): Segment['m'] {
  const next = { ...meta };
  for (const key of keys) delete next[key];
  return next;
}

/** Whether a segment's source can give sound to analyse (it has audio and is not a still). */
export function playsSound(segment: Segment): boolean {
  const m = clipMeta(segment);
  return m.hasAudio !== false && m.still !== true;
}
