/**
 * Applying the issue-13 operations (src/engine/plan/ops.ts) to a draft: merged cuts on the input
 * timeline, fitting a length limit, speeding silences up (timeline edits), and the whole-output effects
 * fade / volume / rotate / flip / crop / logo (draft `m.fx` keys, compiled by compile/fades-volume.ts
 * and compile/picture-ops.ts).
 */
import type { Draft, Segment } from '../timeline/index.js';
import { fmtSeconds } from '../timeline/index.js';
import { detectSilences, keepIntervals } from './analysis/silence.js';
import { requireFile } from './apply-tracks.js';
import { draftFps, round, videoEndMs, videoTrack } from './draft-build.js';
import { EditInputError } from './errors.js';
import { findFfmpeg } from './ffmpeg.js';
import { type DraftFx, draftFx as fx, playsSound, withoutClipMeta } from './model/index.js';
import type { ExtraOp, TimeSpan } from './plan/ops.js';
import { keepTimelineRanges, type Range, segmentSpeed, snapToFrame, sourceRange } from './timeline-cut.js';
import type { ApplyContext } from './types.js';

const s = (ms: number): string => fmtSeconds(ms);

/** Sorted, merged ranges. */
function union(ranges: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of [...ranges].sort((a, b) => a.startMs - b.startMs)) {
    const last = out[out.length - 1];
    if (last && r.startMs <= last.endMs) last.endMs = Math.max(last.endMs, r.endMs);
    else out.push({ ...r });
  }
  return out;
}

/** `base` minus `remove` (both sorted and merged). */
function subtract(base: Range[], remove: Range[]): Range[] {
  const out: Range[] = [];
  for (const b of base) {
    let cursor = b.startMs;
    for (const r of remove) {
      if (r.endMs <= cursor || r.startMs >= b.endMs) continue;
      if (r.startMs > cursor) out.push({ startMs: cursor, endMs: r.startMs });
      cursor = Math.max(cursor, r.endMs);
    }
    if (cursor < b.endMs) out.push({ startMs: cursor, endMs: b.endMs });
  }
  return out;
}

/** Several cuts at once, every time read on the timeline as it is before them. */
function applyRanges(draft: Draft, op: Extract<ExtraOp, { op: 'ranges' }>): string {
  const track = videoTrack(draft);
  const total = videoEndMs(draft);
  if (!track || total <= 0) throw new EditInputError('cuts: the draft has no video');
  const fps = draftFps(draft);
  const snap = (ms: number): number => snapToFrame(Math.min(Math.max(ms, 0), total), fps);
  const outside = [...op.keep, ...op.cut].find((r) => r.fromMs >= total);
  if (outside)
    throw new EditInputError(
      `${s(outside.fromMs)}-${s(outside.toMs)} s starts after the end of the ${s(total)} s video`,
    );
  const span = (r: TimeSpan): Range => ({ startMs: snap(r.fromMs), endMs: snap(r.toMs) });
  const base = op.keep.length > 0 ? union(op.keep.map(span)) : [{ startMs: 0, endMs: total }];
  const remove = union([
    ...op.cut.map(span),
    ...(op.firstMs ? [{ startMs: 0, endMs: snap(op.firstMs) }] : []),
    ...(op.lastMs ? [{ startMs: snap(total - op.lastMs), endMs: total }] : []),
  ]);
  const kept = subtract(base, remove).filter((r) => r.endMs - r.startMs >= 1);
  if (kept.length === 0) throw new EditInputError(`the cuts leave nothing of the ${s(total)} s video`);
  keepTimelineRanges(track, kept);
  const list = kept.map((r) => `${s(r.startMs)}-${s(r.endMs)}`).join(', ');
  return `kept ${list} s of the input (${s(total)} s → ${s(videoEndMs(draft))} s)`;
}

function applyFit(draft: Draft, op: Extract<ExtraOp, { op: 'fit' }>): string {
  const track = videoTrack(draft);
  const total = videoEndMs(draft);
  const limit = `${op.platform ? `${op.platform}'s limit of ` : ''}${s(op.maxMs)} s`;
  if (!track || total <= 0) throw new EditInputError('fit: the draft has no video');
  if (total <= op.maxMs) return `fits ${limit} already (${s(total)} s), nothing cut`;
  // Floor to a frame: the result must not be a frame over the limit.
  const fps = draftFps(draft);
  const end = round((Math.floor((op.maxMs * fps) / 1000 + 1e-6) * 1000) / fps);
  keepTimelineRanges(track, [{ startMs: 0, endMs: end }]);
  return `trimmed the end to fit ${limit} (${s(total)} s → ${s(videoEndMs(draft))} s; the frame is unchanged)`;
}

/** A piece of `segment` playing source `[startMs, endMs)` at `speed`, `d` ms long. */
function piece(segment: Segment, range: Range, d: number, speed: number, first: boolean): Segment {
  const m = { ...segment.m, in: round(range.startMs), speed: round(speed) };
  return { ...segment, d: round(d), m: first ? m : withoutClipMeta(m, 'transition') };
}

/**
 * Speed up silences: auto-editor's sound/silence split (the same rules as "trim silences"), but silent
 * parts play `factor`× faster instead of being removed. Each sped-up part lasts a whole number of frames
 * (its speed is adjusted by a few percent), so picture and sound stay in step over many parts.
 */
async function applySpeedSilence(
  draft: Draft,
  op: Extract<ExtraOp, { op: 'speedSilence' }>,
  ctx: ApplyContext,
): Promise<string> {
  const track = videoTrack(draft);
  if (!track) throw new EditInputError('speed up silences: the draft has no video track');
  const { ffmpeg } = await findFfmpeg();
  const fps = draftFps(draft);
  const frameMs = 1000 / fps;
  const before = videoEndMs(draft);
  const cache = new Map<string, Promise<Range[]>>();
  let parts = 0;
  const out: Segment[] = [];
  for (const segment of track.sg) {
    const src = segment.m?.src;
    if (!src || !playsSound(segment)) {
      out.push(segment);
      continue;
    }
    const file = ctx.resolveSrc ? ctx.resolveSrc(src) : src;
    let silences = cache.get(file);
    if (!silences) {
      silences = detectSilences(ffmpeg, file, {
        thresholdDb: op.thresholdDb ?? -28,
        minSilenceMs: op.minCutMs ?? 200,
        signal: ctx.signal,
      });
      cache.set(file, silences);
    }
    const source = sourceRange(segment);
    const length = source.endMs - source.startMs;
    const local = (await silences)
      .map((r) => ({
        startMs: Math.max(r.startMs, source.startMs) - source.startMs,
        endMs: Math.min(r.endMs, source.endMs) - source.startMs,
      }))
      .filter((r) => r.endMs > r.startMs);
    const sound = keepIntervals(local, length, {
      marginMs: op.marginMs ?? 200,
      minCutMs: op.minCutMs ?? 200,
      minClipMs: 0,
    }).map((k) => ({
      startMs: snapToFrame(k.startMs + source.startMs, fps),
      endMs: snapToFrame(k.endMs + source.startMs, fps),
    }));
    const base = segmentSpeed(segment);
    const pieces: Segment[] = [];
    let cursor = source.startMs;
    const silent = (endMs: number): void => {
      if (endMs - cursor < frameMs) return; // under a frame: the next sound piece starts at `cursor`
      const frames = Math.max(1, Math.round((endMs - cursor) / (base * op.factor) / frameMs));
      const d = frames * frameMs;
      pieces.push(piece(segment, { startMs: cursor, endMs }, d, (endMs - cursor) / d, pieces.length === 0));
      parts++;
    };
    for (const k of sound) {
      if (k.endMs <= k.startMs) continue;
      const gap = k.startMs - cursor;
      silent(k.startMs);
      const start = gap < frameMs ? cursor : k.startMs;
      if (k.endMs > start)
        pieces.push(
          piece(
            segment,
            { startMs: start, endMs: k.endMs },
            (k.endMs - start) / base,
            base,
            pieces.length === 0,
          ),
        );
      cursor = k.endMs;
    }
    silent(source.endMs);
    out.push(...(pieces.length > 0 ? pieces : [segment]));
  }
  track.sg = out;
  if (parts === 0) return 'speed up silences: no silence long enough to speed up';
  return `sped up ${parts} silent part${parts === 1 ? '' : 's'} ${op.factor}× (${s(before)} s → ${s(videoEndMs(draft))} s)`;
}

const gainText = (gain: number): string =>
  gain === 0 ? 'muted' : `volume ×${gain} (${gain > 1 ? '+' : ''}${(20 * Math.log10(gain)).toFixed(1)} dB)`;

/** Applies one of the issue-13 ops; returns the note for it. */
export async function applyExtraOp(draft: Draft, op: ExtraOp, ctx: ApplyContext): Promise<string> {
  switch (op.op) {
    case 'ranges':
      return applyRanges(draft, op);
    case 'fit':
      return applyFit(draft, op);
    case 'speedSilence':
      return applySpeedSilence(draft, op, ctx);
    case 'fade': {
      const next: NonNullable<DraftFx['fade']> = { ...fx(draft).fade, picture: op.picture, sound: op.sound };
      if (op.inMs !== undefined) next.inMs = op.inMs;
      if (op.outMs !== undefined) next.outMs = op.outMs;
      fx(draft).fade = next;
      const ends = [op.inMs !== undefined ? 'in' : '', op.outMs !== undefined ? 'out' : ''].filter(Boolean);
      const what = op.picture && op.sound ? 'picture and sound' : op.picture ? 'picture' : 'sound';
      return `fade ${ends.join(' and ')} (${what}, ${s(op.inMs ?? op.outMs ?? 0)} s)`;
    }
    case 'volume': {
      const list = fx(draft).volume ?? [];
      const step: NonNullable<DraftFx['volume']>[number] = { gain: op.gain };
      if (op.fromMs !== undefined) step.fromMs = op.fromMs;
      if (op.toMs !== undefined) step.toMs = op.toMs;
      if (op.lastMs !== undefined) step.lastMs = op.lastMs;
      fx(draft).volume = [...list, step];
      const where =
        op.lastMs !== undefined
          ? ` for the last ${s(op.lastMs)} s`
          : op.fromMs !== undefined
            ? ` from ${s(op.fromMs)} to ${s(op.toMs ?? 0)} s of the result`
            : '';
      return `${gainText(op.gain)}${where}`;
    }
    case 'rotate':
    case 'flip':
    case 'crop': {
      const step =
        op.op === 'rotate'
          ? { rotate: op.degrees }
          : op.op === 'flip'
            ? { flip: op.axis }
            : { crop: op.aspect };
      fx(draft).picture = [...(fx(draft).picture ?? []), step];
      if (op.op === 'rotate') return `rotate ${op.degrees}° clockwise`;
      if (op.op === 'flip') return `flip ${op.axis}ly`;
      return `centre crop to ${op.aspect.join(':')}`;
    }
    case 'logo': {
      const path = requireFile(op.path, 'logo');
      fx(draft).logo = { path, position: op.position };
      return `logo ${op.path} in the ${op.position.replace('-', ' ')} corner (15 % of the width)`;
    }
  }
}
