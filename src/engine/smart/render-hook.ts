/**
 * The smart path as `renderDraft` takes it: decide up front; when eligible, render into a temp file next
 * to the output and publish it through the runner's own publish (fsync, atomic, never over a file without
 * `overwrite`). Any failure other than an abort or a publish refusal falls back to the full path, with the
 * reason kept for the result.
 */
import { closeSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createExclusive, tempPathFor } from '../../base/atomic-output.js';
import { type Draft, draftDuration } from '../../timeline/index.js';
import { EngineAbortedError, FfmpegFailedError, FfmpegStalledError } from '../errors.js';
import { findFfmpeg } from '../ffmpeg.js';
import type { Capabilities, RenderOptions, RenderResult } from '../types.js';
import { decideSmart, type SmartDecision, smartRender } from './smart-render.js';

export interface SmartHookContext {
  format: string;
  caps: Capabilities;
  workDir: string;
  resolve: (src: string) => string;
  env?: NodeJS.ProcessEnv;
  opts: RenderOptions;
  /** The absolute output path. */
  target: string;
  publish: (tmp: string, target: string, o: { replace?: boolean }) => void;
}

/** The full path's reason when the caller asked for it (`reencode`). */
export const REENCODE_ASKED = 'a full re-encode was asked for';

/** Why an export quality needs the full re-encode (copied GOPs keep the source's quality), if it does. */
export function qualityReason(quality: string | undefined): string | undefined {
  return quality && quality !== 'high'
    ? `the ${quality} export quality needs a full re-encode (copied frames keep the source's)`
    : undefined;
}

/** The path decision alone (for dry runs and plans): nothing is rendered. */
export async function decideRenderPath(
  draft: Draft,
  c: Pick<SmartHookContext, 'format' | 'caps' | 'workDir' | 'resolve'> & { signal?: AbortSignal },
): Promise<SmartDecision> {
  const { ffprobe } = await findFfmpeg();
  return decideSmart(draft, c.format, {
    caps: c.caps,
    ffprobe,
    workDir: c.workDir,
    resolve: c.resolve,
    signal: c.signal,
  });
}

/** `result` when the smart path rendered and published the output; else the reasons it did not. */
export async function renderSmart(
  draft: Draft,
  c: SmartHookContext,
): Promise<{ result?: RenderResult; reasons: string[] }> {
  const signal = c.opts.signal;
  const lowQuality = qualityReason(c.opts.quality);
  if (lowQuality) return { reasons: [lowQuality] };
  let decision: SmartDecision;
  try {
    decision = await decideRenderPath(draft, { ...c, signal });
  } catch (err) {
    if (!(err instanceof FfmpegFailedError) || signal?.aborted) throw err;
    return { reasons: [`the source could not be scanned for smart rendering (${err.message})`] };
  }
  if (decision.path === 'full') return { reasons: decision.reasons };
  const { plan } = decision;
  const tmp = tempPathFor(c.target, 'nemo-tmp', path.extname(c.target) || '.mp4');
  closeSync(createExclusive(tmp));
  let published = false;
  const totalMs = draftDuration(draft);
  try {
    const { timings } = await smartRender(draft, plan, tmp, {
      caps: c.caps,
      workDir: c.workDir,
      resolve: c.resolve,
      signal,
      env: c.env,
      onProgress: (fraction) => c.opts.onProgress?.({ fraction, outTimeMs: fraction * totalMs, totalMs }),
    });
    const durationMs = totalMs;
    c.opts.onProgress?.({ fraction: 1, outTimeMs: durationMs, totalMs: durationMs });
    c.publish(tmp, c.target, { replace: c.opts.overwrite });
    published = true;
    const { size } = await stat(c.target);
    return {
      reasons: [],
      result: {
        path: c.target,
        durationMs,
        encodePasses: 1,
        bytes: size,
        renderPath: {
          path: 'smart',
          reasons: [],
          copiedFrames: plan.copiedFrames,
          frames: plan.frames,
          timings: { ...timings },
        },
      },
    };
  } catch (err) {
    const ffmpegFault = err instanceof FfmpegFailedError || err instanceof FfmpegStalledError;
    if (!ffmpegFault || err instanceof EngineAbortedError || signal?.aborted) throw err;
    return { reasons: [`the smart render failed (${(err as Error).message}); re-encoded instead`] };
  } finally {
    if (!published) await rm(tmp, { force: true });
  }
}
