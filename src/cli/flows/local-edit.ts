import { basename, resolve } from 'node:path';
import { writeFileAtomic } from '../../base/atomic-output.js';
import type { OutputFormat } from '../../base/media.js';
import type { Quality } from '../../config/index.js';
import { UnknownInstructionError } from '../../engine/errors.js';
import type { LocalEditEvent } from '../../engine/local-edit.js';
import { formatSupported } from '../../engine/plan/explain.js';
import type { RenderPath } from '../../engine/types.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { useEngineCache } from '../engine-cache.js';
import type { Output } from '../output.js';
import { watchPhases } from '../phase-label.js';
import { planLocal, refusedError } from './plan-report.js';

export interface LocalEditInput {
  files: string[];
  instruction: string;
  output: string;
  force: boolean;
  quality?: Quality;
  format?: OutputFormat;
  musicPath?: string;
  captionsPath?: string;
  asrModelPath?: string;
  audioStream?: number;
  /** --reencode: re-encode the whole video (else what the edit leaves untouched is copied where it can be). */
  reencode?: boolean;
}

export interface LocalEditResult {
  output: string;
  encodePasses: number;
  durationMs: number;
  bytes: number;
  notes: string[];
  draftFile: string;
  /** Which way the render went (smart: copied the untouched GOPs; full: re-encoded all, and why). */
  renderPath?: Record<string, unknown>;
}

/**
 * `nemo edit --local`: the engine plans, applies and renders on this machine. Nothing is sent
 * anywhere (no client is constructed). Unknown clauses exit 2 listing what is supported. The final
 * draft is saved (one file per output) for `nemo state --local [-o file]`.
 */
export async function runLocalEdit(ctx: Ctx, out: Output, input: LocalEditInput): Promise<LocalEditResult> {
  useEngineCache(ctx.env);
  // Every clause read or refused (naming the words nobody read) before any probe or analysis.
  const plan = await planLocal(input.instruction);
  if (plan.refused.length > 0) {
    out.event('local.plan', { clauses: plan.clauses, unknown: plan.unknown, refused: plan.refused });
    throw refusedError(plan);
  }
  const { localEdit } = await import('../../engine/local-edit.js');
  const render = out.progress('planning', {
    event: 'local.progress',
    fields: (done) => ({ stage: 'render', fraction: done / 100 }),
  });
  const onEvent = (ev: LocalEditEvent): void => {
    switch (ev.type) {
      case 'plan':
        out.event('local.plan', { clauses: ev.plan.clauses, unknown: ev.plan.unknown });
        out.info(
          `plan: ${ev.plan.clauses.map((c) => `${c.text} → ${c.ops.map((o) => o.op).join('+') || '—'}`).join('; ')}`,
        );
        break;
      case 'render.progress':
        render.update(Math.round(ev.fraction * 100), 100);
        break;
      case 'analysis':
        out.event('local.progress', { stage: 'analysis', what: ev.what });
        break;
      case 'note':
        out.event('local.progress', { stage: 'note', note: ev.note });
        break;
    }
  };
  // the spinner names what runs: reading the inputs, measuring loudness…, rendering
  const unwatch = watchPhases(input.files, (phase) => render.label(phase));
  let result: Awaited<ReturnType<typeof localEdit>>;
  try {
    result = await localEdit({
      files: input.files,
      instruction: input.instruction,
      outPath: input.output,
      musicPath: input.musicPath,
      captionsPath: input.captionsPath,
      asrModelPath: input.asrModelPath,
      audioStream: input.audioStream,
      format: input.format,
      quality: input.quality,
      onEvent,
      signal: ctx.interrupt.signal,
      overwrite: input.force,
      reencode: input.reencode,
    });
  } catch (err) {
    render.fail();
    if (ctx.interrupt.interrupted) throw ctx.interrupt.signal.reason;
    if (err instanceof UnknownInstructionError) {
      const e = err as Error & { unknown?: string[]; supported?: readonly string[] };
      const unknown = (e.unknown ?? []).map((u) => JSON.stringify(u)).join(', ');
      throw new UsageError(
        `the local engine does not understand: ${unknown || input.instruction}`,
        `it can do:\n${formatSupported()}`,
      );
    }
    throw err;
  } finally {
    unwatch();
  }
  render.finish(`saved ${result.outPath}`);
  // one draft file per output: a concurrent run into another output keeps its own
  const draftFile = ctx.store().localDraftPath(resolve(result.outPath));
  writeFileAtomic(
    draftFile,
    `${JSON.stringify({ output: resolve(result.outPath), draft: result.draft }, null, 2)}\n`,
    0o600,
  );
  for (const note of result.notes) out.info(`• ${note}`);
  out.info(`${input.files.map((f) => basename(f)).join(', ')} → ${result.outPath}`);
  return {
    output: result.outPath,
    encodePasses: result.render.encodePasses,
    durationMs: result.render.durationMs,
    bytes: result.render.bytes,
    notes: result.notes,
    draftFile,
    ...renderPathResult(result.render.renderPath),
  };
}

/** The result's `renderPath`: which way the render went (smart: the share of frames copied; full: why). */
function renderPathResult(p: RenderPath | undefined): { renderPath?: Record<string, unknown> } {
  if (!p) return {};
  return {
    renderPath:
      p.path === 'smart'
        ? { path: 'smart', copiedFrames: p.copiedFrames, frames: p.frames, timingsMs: p.timings }
        : { path: 'full', reasons: p.reasons },
  };
}
