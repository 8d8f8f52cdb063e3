import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { OutputFormat } from '../../base/media.js';
import { mapLimit, parseJobs, parseTimeout, pickQuality } from '../args.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { cloudEdit } from '../flows/cloud-edit.js';
import { checkInputs, isUrl } from '../flows/upload.js';
import { describeError } from '../handle-error.js';
import type { Output } from '../output.js';
import { checkOutputPath, defaultOutputPath } from '../output-path.js';

export interface EditOptions {
  output?: string;
  local?: boolean;
  cloud?: boolean;
  each?: boolean;
  jobs?: string;
  session?: string;
  download: boolean;
  force?: boolean;
  music?: string;
  captions?: string;
  asrModel?: string;
  audioStream?: string;
  quality?: string;
  format?: OutputFormat;
  timeout?: string;
  /** Live text from the cloud agent (ADK `streaming: true`). */
  stream?: boolean;
  /** --local: print the plan (and its cuts) and write nothing. */
  dryRun?: boolean;
  /** --local: re-encode the whole video instead of copying what the edit leaves untouched (src/engine/smart/). */
  reencode?: boolean;
}

interface Job {
  items: string[];
  output: string;
  out: Output;
}

function splitArgs(args: string[]): { items: string[]; instruction: string } {
  if (args.length < 2) {
    throw new UsageError(
      'nemo edit needs the files, then the instruction',
      `e.g. nemo edit clip.mp4 "trim silences"`,
    );
  }
  const instruction = (args[args.length - 1] ?? '').trim();
  if (instruction === '')
    throw new UsageError(
      'the instruction is empty',
      `say what to do, e.g. nemo edit ${args[0]} "add a title 'Hello'"`,
    );
  return { items: args.slice(0, -1), instruction };
}

/** Where each job writes: -o, else the default name next to its input (never overwriting). */
function planJobs(ctx: Ctx, items: string[], opts: EditOptions): Job[] {
  const ext = opts.format ?? 'mp4';
  const locals = items.filter((i) => !isUrl(i));
  const nameFor = (item: string, taken: Set<string>, dir?: string): string => {
    const base = isUrl(item) ? resolve(basename(new URL(item).pathname) || 'nemo-edit.mp4') : item;
    return defaultOutputPath(dir ? join(dir, basename(base)) : base, ext, taken);
  };
  if (!opts.each) {
    const output = opts.output ?? nameFor(items[0] as string, new Set());
    checkOutputPath(output, locals, !!opts.force);
    return [{ items, output, out: ctx.out }];
  }
  let dir: string | undefined;
  if (opts.output !== undefined) {
    if (!existsSync(opts.output) || !statSync(opts.output).isDirectory()) {
      throw new UsageError(
        'with --each, -o must be an existing directory',
        `create it (mkdir -p '${opts.output}') or leave -o out to write next to each input`,
      );
    }
    dir = opts.output;
  }
  const taken = new Set<string>();
  return items.map((item) => {
    const output = nameFor(item, taken, dir);
    taken.add(resolve(output));
    checkOutputPath(output, locals, !!opts.force);
    return { items: [item], output, out: ctx.out.child(`[${basename(item)}] `, { file: item }) };
  });
}

/** --audio-stream N: a stream number 0, 1, 2… */
function parseAudioStream(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()))
    throw new UsageError(
      `--audio-stream ${value}: not a stream number`,
      'give 0 for the first audio stream, 1 for the second…',
    );
  return Number(value);
}

function printResult(out: Output, result: Record<string, unknown> & { output?: string; url?: string }): void {
  out.event('result', result);
  if (!out.json) out.data(result.output ?? result.url ?? '');
}

/**
 * Several files with --local are joined only when the instruction says so (the planner reads "join",
 * "concatenate", "merge", transitions, 拼接… into a concat or transition op): silently joining them is one
 * reading of two. An instruction the planner cannot read is not judged here; the edit reports it.
 */
async function asksToJoin(instruction: string): Promise<boolean> {
  const { planInstruction } = await import('../../engine/planner.js');
  const plan = planInstruction(instruction);
  if (plan.unknown.length > 0 || (plan.refused?.length ?? 0) > 0) return true;
  return plan.ops.some((o) => o.op === 'concat' || o.op === 'transition');
}

/** `nemo edit <file…> <instruction>`: the headline command, cloud or --local. */
export async function run(ctx: Ctx, args: string[], opts: EditOptions): Promise<void> {
  const { items, instruction } = splitArgs(args);
  const settings = ctx.settings();
  const quality = pickQuality(opts.quality, settings.quality);
  const timeoutMs = parseTimeout(opts.timeout);
  const jobs = parseJobs(opts.jobs);
  if (opts.local && opts.cloud) throw new UsageError('--local and --cloud exclude each other', 'pick one');
  if (opts.each && opts.session)
    throw new UsageError(
      '--each gives every file its own session',
      'drop --session, or drop --each to edit the files together',
    );
  const local = opts.local || (!opts.cloud && settings.engine === 'local');
  if (local && items.some(isUrl))
    throw new UsageError(
      '--local edits files on this machine, not URLs',
      'download the file first, or drop --local',
    );
  if (!local && (opts.captions || opts.asrModel)) {
    throw new UsageError(
      '--captions and --asr-model are for --local edits',
      'add --local, or ask the cloud agent for captions',
    );
  }
  if (!local && opts.reencode)
    throw new UsageError('--reencode is for --local edits', 'add --local, or drop --reencode');
  if (local && opts.stream)
    throw new UsageError('--stream is for the cloud agent', 'drop --stream, or drop --local');
  if (local && !opts.each && items.length > 1 && !(await asksToJoin(instruction)))
    throw new UsageError(
      `${items.length} files, and the instruction does not say to join them`,
      `say so ("join the clips, ${instruction}"), or add --each to edit each file on its own`,
    );
  if (opts.dryRun) {
    if (!local)
      throw new UsageError(
        '--dry-run plans an on-device edit',
        'add --local (the cloud agent plans on its server)',
      );
    await checkInputs([...items, ...(opts.music ? [opts.music] : [])]);
    const { runDryRun } = await import('../flows/plan-report.js');
    for (const files of opts.each ? items.map((i) => [i]) : [items])
      await runDryRun(ctx, ctx.out, {
        files,
        instruction,
        output: opts.output,
        format: opts.format,
        musicPath: opts.music,
        captionsPath: opts.captions,
        asrModelPath: opts.asrModel,
        reencode: !!opts.reencode,
        quality,
      });
    return;
  }
  // in the cloud, --music is one more upload of the session (the agent uses the last audio file)
  const music = !local && opts.music ? [opts.music] : [];
  await checkInputs([...items, ...(opts.music ? [opts.music] : [])]);
  // --local: default output names take the format the instruction asks for ("export as gif" → .gif)
  const nameFormat =
    opts.format ??
    (local ? (await import('../../engine/local-edit.js')).instructionFormat(instruction) : undefined);
  const planned = planJobs(ctx, items, { ...opts, format: nameFormat });
  const runOne = async (job: Job): Promise<void> => {
    if (local) {
      const { runLocalEdit } = await import('../flows/local-edit.js');
      const result = await runLocalEdit(ctx, job.out, {
        files: job.items,
        instruction,
        output: job.output,
        force: !!opts.force,
        quality,
        format: opts.format,
        musicPath: opts.music,
        captionsPath: opts.captions,
        asrModelPath: opts.asrModel,
        audioStream: parseAudioStream(opts.audioStream),
        reencode: !!opts.reencode,
      });
      printResult(job.out, { ...result });
      return;
    }
    const result = await cloudEdit(ctx, job.out, {
      items: [...job.items, ...music],
      instruction,
      sessionId: planned.length === 1 ? opts.session : undefined,
      stream: !!opts.stream,
      exportOptions: {
        output: job.output,
        quality,
        format: opts.format,
        timeoutMs,
        download: opts.download,
        force: !!opts.force,
      },
    });
    printResult(job.out, { ...result });
  };
  if (planned.length === 1) {
    await runOne(planned[0] as Job);
    return;
  }
  // --each: every file on its own; a failure does not stop the others; the first failure's code wins.
  const failures = await mapLimit(planned, jobs, async (job) => {
    try {
      await runOne(job);
      return undefined;
    } catch (err) {
      if (ctx.interrupt.interrupted) throw err;
      const r = describeError(err);
      job.out.event('error', { ...r });
      job.out.say(`error: ${r.message}${r.hint ? `\n→ ${r.hint}` : ''}`);
      return r;
    }
  });
  const failed = failures.filter((f) => f !== undefined);
  if (failed.length > 0) {
    ctx.out.say(`${failed.length} of ${planned.length} edits failed`);
    ctx.exitCode = failed[0]?.exitCode ?? 1;
  }
}
