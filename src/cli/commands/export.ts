import type { OutputFormat } from '../../base/media.js';
import { parseTimeout, pickQuality } from '../args.js';
import { CliError, UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { exportOutputPath, exportSession } from '../flows/export.js';
import { sessionFor } from '../flows/session.js';
import { checkOutputPath } from '../output-path.js';

export interface ExportCommandOptions {
  output?: string;
  resume?: string | boolean;
  quality?: string;
  format?: OutputFormat;
  session?: string;
  timeout?: string;
  download: boolean;
  force?: boolean;
  downloadTimeout?: string;
}

/** `--download-timeout <seconds>`: a positive number of seconds, in ms. */
function parseDownloadTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(
      `--download-timeout must be a positive number of seconds, not ${JSON.stringify(value)}`,
      'e.g. --download-timeout 600 (default: 120 s, or longer for large files: 256 KiB/s)',
    );
  return Math.round(s * 1000);
}

/** The render to resume: the id given, else the last one saved in the session (or any session). */
function resumeTarget(ctx: Ctx, opts: ExportCommandOptions): string | undefined {
  if (opts.resume === undefined || opts.resume === false) return undefined;
  if (typeof opts.resume === 'string') return opts.resume;
  const store = ctx.store();
  const session = opts.session ? store.findSession(opts.session) : store.currentSession();
  const id =
    session?.lastRenderId ?? [...store.sessions()].reverse().find((s) => s.lastRenderId)?.lastRenderId;
  if (!id)
    throw new CliError(`no render to resume in profile ${ctx.profile}`, {
      fix: 'give its id: nemo export --resume <renderId>, or start one: nemo export',
    });
  return id;
}

/** `nemo export [-o] [--resume [id]]`: render the current draft (or resume a render) and download it. */
export async function run(ctx: Ctx, _args: unknown, opts: ExportCommandOptions): Promise<void> {
  const quality = pickQuality(opts.quality, ctx.settings().quality);
  const timeoutMs = parseTimeout(opts.timeout);
  const downloadTimeoutMs = parseDownloadTimeout(opts.downloadTimeout);
  const resumeId = resumeTarget(ctx, opts);
  const store = ctx.store();
  const session = resumeId
    ? opts.session
      ? store.findSession(opts.session)
      : store.sessions().find((s) => s.lastRenderId === resumeId)
    : await sessionFor(ctx, opts.session);
  const output =
    opts.output ??
    (resumeId && session?.lastOutput ? session.lastOutput : exportOutputPath(session, opts.format));
  if (opts.download) checkOutputPath(output, session?.files ?? [], !!opts.force);
  const client = await ctx.client();
  const result = await exportSession(ctx, ctx.out, client, session, {
    output,
    quality,
    format: opts.format,
    timeoutMs,
    download: opts.download,
    force: !!opts.force,
    resumeId,
    downloadTimeoutMs,
  });
  ctx.out.event('result', { ...result, sessionId: session?.sessionId ?? null });
  if (!ctx.out.json) ctx.out.data(result.output ?? result.url ?? '');
}
