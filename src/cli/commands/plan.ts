import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { runDryRun } from '../flows/plan-report.js';
import { checkInputs } from '../flows/upload.js';

export interface PlanOptions {
  music?: string;
  captions?: string;
  asrModel?: string;
}

/**
 * `nemo plan "<instruction>" [file…]`: what the on-device planner makes of an instruction, clause by
 * clause; with files, also the durations and cuts it would give (probe + cheap analysis). Writes nothing.
 * A refused clause prints with its reason and exits 2.
 */
export async function run(ctx: Ctx, args: string | [string, string[]], opts: PlanOptions): Promise<void> {
  const [instruction, files] = typeof args === 'string' ? [args, []] : [args[0], args[1] ?? []];
  if (!instruction?.trim())
    throw new UsageError('the instruction is empty', `e.g. nemo plan "cut the first 2 seconds" clip.mp4`);
  if (files.length > 0) await checkInputs([...files, ...(opts.music ? [opts.music] : [])]);
  await runDryRun(ctx, ctx.out, {
    files,
    instruction: instruction.trim(),
    musicPath: opts.music,
    captionsPath: opts.captions,
    asrModelPath: opts.asrModel,
  });
}
