import { basename } from 'node:path';
import type { OutputFormat } from '../../base/media.js';
import type { DryRunReport } from '../../engine/plan/dry-run.js';
import { describeOp, formatPlanClauses, formatSupported } from '../../engine/plan/explain.js';
import type { Plan } from '../../engine/planner.js';
import { renderPathLine } from '../../engine/smart/notes.js';
import { fmtSeconds } from '../../timeline/index.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { useEngineCache } from '../engine-cache.js';
import type { Output } from '../output.js';

/** Plans `instruction` on this machine. Refused clauses → exit 2 naming them, before any work. */
export async function planLocal(instruction: string): Promise<Plan> {
  const { planInstruction } = await import('../../engine/planner.js');
  return planInstruction(instruction);
}

/** The exit-2 error for a plan with refused clauses: each clause and why, then what nemo can do, grouped. */
export function refusedError(plan: Plan): UsageError {
  const each = plan.refused.map((r) => {
    const words = r.words.length > 0 && /does not know/.test(r.reason) ? `: ${r.words.join(' ')}` : '';
    return `${JSON.stringify(r.text)} (${r.reason}${words})`;
  });
  return new UsageError(
    `the local engine does not understand ${each.join(' and ')}; nothing was edited`,
    `it can do: trim silences, cuts, fades, volume, picture, titles, captions, presets; by group:\n${formatSupported()}\n` +
      'try an instruction without editing: nemo plan "<instruction>" <file>',
  );
}

const sec = (ms: number): string => `${fmtSeconds(ms)} s`;

/** Prints a plan (and a dry run's result) as text on stdout, or as one `plan` event under --json. */
export function printPlan(
  out: Output,
  instruction: string,
  plan: Plan,
  report?: DryRunReport,
  extra: Record<string, unknown> = {},
): void {
  if (out.json) {
    out.event('plan', {
      instruction,
      clauses: plan.clauses,
      refused: plan.refused,
      ops: plan.ops,
      mergedCuts: plan.mergedCuts,
      ...(report ? { dryRun: report } : {}),
      ...extra,
    });
    return;
  }
  out.data(`plan for ${JSON.stringify(instruction)}:`);
  for (const line of formatPlanClauses(plan)) out.data(`  ${line}`);
  if (plan.ops.length > 0 && plan.refused.length === 0)
    out.data(`  in order (cuts first): ${plan.ops.map((o) => describeOp(o)).join('; ')}`);
  if (!report) return;
  for (const i of report.inputs) {
    const size = i.width && i.height ? `, ${i.width}×${i.height}` : '';
    const fps = i.fps ? `, ${Math.round(i.fps * 100) / 100} fps` : '';
    out.data(
      `input: ${basename(i.file)} ${sec(i.durationMs)}${size}${fps}${i.hasAudio ? ', with sound' : ', no sound'}`,
    );
  }
  out.data(`result: ${sec(report.inputDurationMs)} → ${sec(report.outputDurationMs)}`);
  const shown = report.pieces.slice(0, 12);
  for (const p of shown)
    out.data(
      `  plays ${basename(p.file)} ${fmtSeconds(p.fromMs)}-${fmtSeconds(p.toMs)} s${p.speed !== 1 ? ` at ${p.speed}×` : ''} → ${fmtSeconds(p.atMs)}-${fmtSeconds(p.atMs + p.durationMs)} s of the result`,
    );
  if (report.pieces.length > shown.length)
    out.data(`  … and ${report.pieces.length - shown.length} more pieces`);
  if (report.removed.length > 0)
    out.data(
      `  removed: ${report.removed.map((r) => `${basename(r.file)} ${fmtSeconds(r.fromMs)}-${fmtSeconds(r.toMs)} s`).join(', ')}`,
    );
  for (const note of report.notes) out.data(`  • ${note}`);
  for (const s of report.skipped) out.data(`  (not in a dry run: ${s})`);
  if (report.renderPath) out.data(`  ${renderPathLine(report.renderPath)}`);
}

export interface DryRunInput {
  files: string[];
  instruction: string;
  output?: string;
  format?: OutputFormat;
  musicPath?: string;
  captionsPath?: string;
  asrModelPath?: string;
  /** --reencode: the plan says the edit takes the full re-encode. */
  reencode?: boolean;
  /** --quality: anything but high takes the full re-encode. */
  quality?: string;
}

/**
 * `nemo edit --local --dry-run` and `nemo plan … <file>`: the plan, and with files the durations and
 * cuts it would give (probe + cheap analysis). Writes nothing. Refused clauses print, then exit 2.
 */
export async function runDryRun(ctx: Ctx, out: Output, input: DryRunInput): Promise<void> {
  useEngineCache(ctx.env);
  const plan = await planLocal(input.instruction);
  if (plan.refused.length > 0) {
    printPlan(out, input.instruction, plan);
    throw refusedError(plan);
  }
  let report: DryRunReport | undefined;
  if (input.files.length > 0) {
    const { dryRunPlan } = await import('../../engine/plan/dry-run.js');
    report = await dryRunPlan(plan, {
      files: input.files,
      outPath: input.output,
      format: input.format,
      musicPath: input.musicPath,
      captionsPath: input.captionsPath,
      asrModelPath: input.asrModelPath,
      reencode: input.reencode,
      quality: input.quality,
      signal: ctx.interrupt.signal,
    });
  }
  printPlan(
    out,
    input.instruction,
    plan,
    report,
    input.output ? { output: input.output, written: false } : {},
  );
  out.info(`dry run: nothing was written${input.output ? ` (the edit would write ${input.output})` : ''}`);
}
