import type { Draft, Segment } from '../timeline/index.js';
import { fmtSeconds } from '../timeline/index.js';
import { detectPauses, keepIntervals, leadingSilenceMs } from './analysis/silence.js';
import { draftFps, videoEndMs, videoTrack } from './draft-build.js';
import { EditInputError } from './errors.js';
import { findFfmpeg } from './ffmpeg.js';
import { playsSound } from './model/index.js';
import {
  keepSourceRanges,
  keepTimelineRanges,
  type Range,
  segmentSpeed,
  snapToFrame,
  sourceRange,
} from './timeline-cut.js';
import type { ApplyContext, EditOp } from './types.js';

type CutOp = Extract<EditOp, { op: 'cutStart' | 'cutEnd' | 'keepRange' | 'cutRange' | 'trimTo' }>;

/** The timeline ranges a cut op keeps, frame-snapped. */
function keptRanges(op: CutOp, totalMs: number, fps: number): Range[] {
  const snap = (ms: number): number => snapToFrame(Math.min(Math.max(ms, 0), totalMs), fps);
  switch (op.op) {
    case 'cutStart':
      return [{ startMs: snap(op.ms), endMs: totalMs }];
    case 'cutEnd':
      return [{ startMs: 0, endMs: snap(totalMs - op.ms) }];
    case 'keepRange':
      return [{ startMs: snap(op.fromMs), endMs: snap(op.toMs) }];
    case 'cutRange':
      return [
        { startMs: 0, endMs: snap(op.fromMs) },
        { startMs: snap(op.toMs), endMs: totalMs },
      ].filter((r) => r.endMs - r.startMs >= 1);
    case 'trimTo':
      return [{ startMs: 0, endMs: snap(op.ms) }];
  }
}

function describeCut(op: CutOp): string {
  switch (op.op) {
    case 'cutStart':
      return `cut the first ${fmtSeconds(op.ms)} s`;
    case 'cutEnd':
      return `cut the last ${fmtSeconds(op.ms)} s`;
    case 'keepRange':
      return `kept ${fmtSeconds(op.fromMs)}-${fmtSeconds(op.toMs)} s`;
    case 'cutRange':
      return `cut ${fmtSeconds(op.fromMs)}-${fmtSeconds(op.toMs)} s`;
    case 'trimTo':
      return `trimmed to ${fmtSeconds(op.ms)} s`;
  }
}

/** Cuts by timeline position: first/last N s, keep or remove a range, trim to N s. */
export function applyCut(draft: Draft, op: CutOp): string {
  const track = videoTrack(draft);
  const total = videoEndMs(draft);
  if (!track || total <= 0) throw new EditInputError(`${describeCut(op)}: the draft has no video`);
  const ranges = keptRanges(op, total, draftFps(draft)).filter((r) => r.endMs - r.startMs >= 1);
  if (ranges.length === 0)
    throw new EditInputError(`${describeCut(op)}: nothing would be left of the ${fmtSeconds(total)} s video`);
  keepTimelineRanges(track, ranges);
  return `${describeCut(op)} (${fmtSeconds(total)} s → ${fmtSeconds(videoEndMs(draft))} s)`;
}

/** Resolves a segment's source to a local file the analysis can read. */
function localSource(segment: Segment, ctx: ApplyContext): string | undefined {
  const src = segment.m?.src;
  if (!src || !playsSound(segment)) return undefined;
  return ctx.resolveSrc ? ctx.resolveSrc(src) : src;
}

/** Pauses of a source file, speech-aware in a noisy room (see `detectPauses`; two audio-only passes at most). */
async function silencesOf(file: string, thresholdDb: number, minSilenceMs: number, ctx: ApplyContext) {
  const { ffmpeg } = await findFfmpeg();
  return (await detectPauses(ffmpeg, file, { thresholdDb, minSilenceMs, signal: ctx.signal })).silences;
}

/** Audio may end a few ms before the video: a silence reaching this close to an edge reaches it. */
const EDGE_MS = 50;

/** `silences` (source time) clipped to the segment's source range, relative to its start. */
function withinSegment(silences: Range[], source: Range): Range[] {
  const length = source.endMs - source.startMs;
  return silences
    .map((s) => {
      const startMs = Math.max(s.startMs, source.startMs) - source.startMs;
      const endMs = Math.min(s.endMs, source.endMs) - source.startMs;
      return { startMs: startMs <= EDGE_MS ? 0 : startMs, endMs: endMs >= length - EDGE_MS ? length : endMs };
    })
    .filter((s) => s.endMs > s.startMs);
}

/** How many parts of `range` (longer than 50 ms: frame snapping is not a cut) `keeps` leave out. */
function countGaps(range: Range, keeps: Range[]): number {
  let gaps = 0;
  let cursor = range.startMs;
  for (const k of keeps) {
    if (k.startMs - cursor >= 50) gaps++;
    cursor = k.endMs;
  }
  return range.endMs - cursor >= 50 ? gaps + 1 : gaps;
}

/** Trim silences (auto-editor defaults): silencedetect per source, keep intervals, split segments. */
export async function applyTrimSilence(
  draft: Draft,
  op: Extract<EditOp, { op: 'trimSilence' }>,
  ctx: ApplyContext,
): Promise<string> {
  const track = videoTrack(draft);
  if (!track) throw new EditInputError('trim silences: the draft has no video track');
  const thresholdDb = op.thresholdDb ?? -28;
  const keepOpts = {
    marginMs: op.marginMs ?? 200,
    minCutMs: op.minCutMs ?? 200,
    minClipMs: op.minClipMs ?? 100,
  };
  const fps = draftFps(draft);
  const cache = new Map<string, Promise<Range[]>>();
  const before = videoEndMs(draft);
  let cuts = 0;
  const out: Segment[] = [];
  for (const segment of track.sg) {
    const file = localSource(segment, ctx);
    if (!file) {
      out.push(segment);
      continue;
    }
    let silences = cache.get(file);
    if (!silences) {
      silences = silencesOf(file, thresholdDb, keepOpts.minCutMs, ctx);
      cache.set(file, silences);
    }
    const source = sourceRange(segment);
    const local = withinSegment(await silences, source);
    // Nearest-frame snapping: silencedetect's µs jitter must not cost a whole frame at each cut.
    const keeps = keepIntervals(local, source.endMs - source.startMs, keepOpts)
      .map((k) => ({
        startMs: snapToFrame(k.startMs + source.startMs, fps),
        endMs: snapToFrame(k.endMs + source.startMs, fps),
      }))
      .filter((k) => k.endMs > k.startMs);
    const pieces = keepSourceRanges(segment, keeps);
    cuts += countGaps(source, keeps);
    out.push(...pieces);
  }
  if (out.length === 0)
    throw new EditInputError('trim silences: the whole video is silent at this threshold');
  track.sg = out;
  const removed = before - videoEndMs(draft);
  return cuts === 0
    ? 'trim silences: no silence long enough to cut'
    : `cut ${cuts} silence${cuts === 1 ? '' : 's'}, ${fmtSeconds(removed)} s removed`;
}

/** "Trim the intro": the first N s when given, else the leading silence (keeping a 0.2 s margin). */
export async function applyTrimIntro(
  draft: Draft,
  op: Extract<EditOp, { op: 'trimIntro' }>,
  ctx: ApplyContext,
): Promise<string> {
  if (op.ms !== undefined) return applyCut(draft, { op: 'cutStart', ms: op.ms });
  const first = videoTrack(draft)?.sg[0];
  const file = first ? localSource(first, ctx) : undefined;
  if (!first || !file) return 'trim the intro: the first clip has no audio to find a silent intro in';
  const lead = leadingSilenceMs(withinSegment(await silencesOf(file, -28, 200, ctx), sourceRange(first)));
  const cut = snapToFrame(Math.max(0, lead - 200) / segmentSpeed(first), draftFps(draft));
  if (cut <= 0) return 'trim the intro: the video starts with sound, nothing to trim';
  applyCut(draft, { op: 'cutStart', ms: cut });
  return `trimmed the intro: cut ${fmtSeconds(cut)} s of leading silence`;
}
