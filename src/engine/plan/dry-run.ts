/**
 * A dry run: the plan applied to the real inputs (probe + the cheap analysis passes: silencedetect, a
 * captions file) without rendering. It writes nothing; speech recognition for captions is left for the
 * real edit (it is not cheap), and said so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OutputFormat } from '../../base/media.js';
import { placeSegments } from '../../timeline/index.js';
import { applyOps } from '../apply.js';
import { draftFromMedia, videoTrack } from '../draft-build.js';
import { EditInputError } from '../errors.js';
import type { Plan } from '../planner.js';
import { checkMedia, checkPlan, plannedFormat } from '../preflight.js';
import { probeMedia } from '../probe.js';
import { decideRenderPath, qualityReason, REENCODE_ASKED } from '../smart/render-hook.js';
import { segmentSpeed, sourceRange } from '../timeline-cut.js';
import type { EditOp } from '../types.js';

export interface DryRunInput {
  file: string;
  durationMs: number;
  width?: number;
  height?: number;
  fps?: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

/** A stretch of one input that plays in the result, at `speed`, from `atMs` of the result. */
export interface DryRunPiece {
  file: string;
  fromMs: number;
  toMs: number;
  speed: number;
  atMs: number;
  durationMs: number;
}

export interface DryRunReport {
  inputs: DryRunInput[];
  inputDurationMs: number;
  outputDurationMs: number;
  /** What plays, in order (consecutive pieces of one file at one speed are merged). */
  pieces: DryRunPiece[];
  /** What of each input does not play at all. */
  removed: { file: string; fromMs: number; toMs: number }[];
  /** One line per op, as the real edit would report it. */
  notes: string[];
  /** Ops not run in a dry run, and why. */
  skipped: string[];
  /** Which way the render would go: smart (copy the GOPs no cut touches) or a full re-encode, and why. */
  renderPath?: { path: 'smart' | 'full'; reasons: string[]; share?: number };
}

export interface DryRunOptions {
  files: string[];
  /** Where the edit would write (checked for its format like the real edit; nothing is written). */
  outPath?: string;
  format?: OutputFormat;
  musicPath?: string;
  captionsPath?: string;
  asrModelPath?: string;
  signal?: AbortSignal;
  /** The edit asks for a full re-encode (`reencode`); else the plan says whether the smart path would be taken. */
  reencode?: boolean;
  /** The export quality (anything but high needs the full re-encode). */
  quality?: string;
}

const r3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Applies `plan` to the inputs as `localEdit` would, stopping before the render. Writes no file. */
export async function dryRunPlan(plan: Plan, o: DryRunOptions): Promise<DryRunReport> {
  // The same refusals as the real edit, before and after the probe.
  const pre = {
    outPath: o.outPath ?? `dry-run.${o.format ?? plannedFormat(plan.ops) ?? 'mp4'}`,
    format: o.format,
    musicPath: o.musicPath,
    captionsPath: o.captionsPath,
  };
  const format = await checkPlan(plan, pre);
  const files = o.files.map((f) => path.resolve(f));
  const media = await Promise.all(
    files.map(async (src) => {
      try {
        return { src, info: await probeMedia(src, { signal: o.signal }) };
      } catch (err) {
        throw new EditInputError(`cannot read ${src}: ${(err as Error).message}`, { cause: err });
      }
    }),
  );
  checkMedia(media, plan, pre);
  const skipped: string[] = [];
  const ops: EditOp[] = plan.ops.filter((op) => {
    if (op.op !== 'captions' || op.path || o.captionsPath) return true;
    skipped.push('captions: speech recognition runs in the real edit, not in a dry run');
    return false;
  });
  const draft = draftFromMedia(media);
  const { draft: edited, notes } = await applyOps(draft, ops, {
    musicPath: o.musicPath,
    captionsPath: o.captionsPath,
    asrModelPath: o.asrModelPath,
    signal: o.signal,
  });
  const pieces: DryRunPiece[] = [];
  const track = videoTrack(edited);
  for (const { segment, start, end } of track ? placeSegments(track) : []) {
    const file = segment.m?.src ?? '';
    const src = sourceRange(segment);
    const speed = r3(segmentSpeed(segment));
    const last = pieces[pieces.length - 1];
    if (last && last.file === file && last.speed === speed && Math.abs(last.toMs - src.startMs) < 0.5) {
      last.toMs = r3(src.endMs);
      last.durationMs = r3(end - last.atMs);
    } else
      pieces.push({
        file,
        fromMs: r3(src.startMs),
        toMs: r3(src.endMs),
        speed,
        atMs: r3(start),
        durationMs: r3(end - start),
      });
  }
  const removed: DryRunReport['removed'] = [];
  for (const { src, info } of media) {
    const played = pieces
      .filter((p) => p.file === src)
      .map((p) => [p.fromMs, p.toMs] as const)
      .sort((a, b) => a[0] - b[0]);
    let cursor = 0;
    for (const [a, b] of played) {
      if (a - cursor >= 1) removed.push({ file: src, fromMs: r3(cursor), toMs: r3(a) });
      cursor = Math.max(cursor, b);
    }
    if (info.kind !== 'image' && info.durationMs - cursor >= 1)
      removed.push({ file: src, fromMs: r3(cursor), toMs: r3(info.durationMs) });
  }
  const renderPath = await dryRunRenderPath(edited, format, o);
  return {
    renderPath,
    inputs: media.map(({ src, info }) => ({
      file: src,
      durationMs: info.durationMs,
      width: info.width,
      height: info.height,
      fps: info.fps,
      hasVideo: info.hasVideo,
      hasAudio: info.hasAudio,
    })),
    inputDurationMs: r3(draft.d ?? 0),
    outputDurationMs: r3(edited.d ?? 0),
    pieces,
    removed,
    notes,
    skipped,
  };
}

/** The render path the edit would take (the smart path's up-front decision; its probe files go to a temp dir). */
async function dryRunRenderPath(
  draft: Awaited<ReturnType<typeof applyOps>>['draft'],
  format: string,
  o: DryRunOptions,
): Promise<DryRunReport['renderPath']> {
  if (o.reencode) return { path: 'full', reasons: [REENCODE_ASKED] };
  const lowQuality = qualityReason(o.quality);
  if (lowQuality) return { path: 'full', reasons: [lowQuality] };
  const { findFfmpeg, getCapabilities } = await import('../ffmpeg.js');
  const caps = await getCapabilities((await findFfmpeg()).ffmpeg);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nemo-plan-'));
  try {
    const d = await decideRenderPath(draft, { format, caps, workDir, resolve: (s) => s, signal: o.signal });
    return d.path === 'smart'
      ? { path: 'smart', reasons: [], share: d.plan.copiedFrames / Math.max(1, d.plan.frames) }
      : { path: 'full', reasons: d.reasons };
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return { path: 'full', reasons: [`the source could not be scanned (${(err as Error).message})`] };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
