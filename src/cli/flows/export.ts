import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TimeoutError } from '../../api/errors.js';
import type { NemoClient, RenderStatus } from '../../api/index.js';
import type { Quality, SessionRecord } from '../../config/index.js';
import { CliError, InterruptedError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import type { Output } from '../output.js';
import { defaultOutputPath } from '../output-path.js';
import { downloadReclaimer } from '../reclaim.js';
import { isUrl } from './upload.js';

export interface ExportOptions {
  /** Checked already (checkOutputPath); where the video goes. */
  output: string;
  quality?: Quality;
  format?: string;
  /** Bound on the render wait, ms. */
  timeoutMs?: number;
  download: boolean;
  force: boolean;
  /** Wait for this render instead of submitting a new one. */
  resumeId?: string;
  /** Overall download deadline, ms (`--download-timeout`); default scaled by the size. */
  downloadTimeoutMs?: number;
}

export interface ExportResult {
  renderId: string;
  output?: string;
  url?: string;
  bytes?: number;
}

/** The default output of an export: next to the session's first local file, else ./nemo-<session>.mp4. */
export function exportOutputPath(session: SessionRecord | undefined, format = 'mp4'): string {
  const first = session?.files?.find((f) => !isUrl(f));
  if (first) return defaultOutputPath(first, format);
  const stem = session ? `nemo-${session.sessionId.slice(0, 8)}` : 'nemo-export';
  // paths are printed as the person would type them: relative to where nemo runs
  return defaultOutputPath(`${stem}.mp4`, format);
}

function resumeHint(id: string): string {
  return `nemo export --resume ${id}`;
}

async function submitAndWait(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  session: SessionRecord,
  opts: ExportOptions,
  onId: (id: string) => Promise<void>,
): Promise<RenderStatus> {
  const { renderWithRetry } = await import('../../api/index.js');
  // the draft model (and zod) only when a draft is submitted, not for `export --resume`
  const { exportReadinessProblem, parseDraft } = await import('../../timeline/index.js');
  const state = await client.state.get(session.sessionId, ctx.interrupt.signal);
  const problem = exportReadinessProblem(parseDraft(state.state.draft));
  if (problem)
    throw new CliError(`nothing to export: ${problem}`, {
      code: 'no_draft',
      fix: 'nemo chat (or nemo edit <file> "<instruction>")',
    });
  const output = { format: opts.format ?? 'mp4', quality: opts.quality ?? 'high' };
  const progress = renderProgress(out);
  return renderWithRetry(
    client,
    { sessionId: session.sessionId, draft: state.state.draft, output },
    {
      signal: ctx.interrupt.signal,
      timeoutMs: opts.timeoutMs,
      onProgress: (s) => progress.update(s),
      onSubmit: (id, attempt) => {
        progress.id = id;
        if (attempt > 1) out.warn(`the render failed; retrying once with a new id (${id})`);
        else out.info(`render ${id} submitted`);
        out.event('render.submitted', { id, attempt });
        void onId(id);
      },
    },
  );
}

function renderProgress(out: Output): { id: string; update(s: RenderStatus): void } {
  let shown: ReturnType<Output['progress']> | undefined;
  let shownFor = '';
  const self = {
    id: '',
    update(s: RenderStatus) {
      if (shownFor !== self.id) {
        shown?.finish();
        shown = out.progress('rendering', {
          event: 'render.progress',
          fields: (done) => ({ id: self.id, progress: done }),
        });
        shownFor = self.id;
      }
      shown?.update(s.progress, 100, { status: s.status });
      if (s.status === 'completed') shown?.finish('rendered');
    },
  };
  return self;
}

/**
 * Render the session's draft (or resume a render already submitted) and download it. The render id
 * is saved in the session record as soon as it exists, so Ctrl-C (exit 130) or `--timeout` leaves a
 * job that `nemo export --resume` finishes; a render that fails is retried once with a new id, then
 * exit 5 with the server's error.
 */
export async function exportSession(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  session: SessionRecord | undefined,
  opts: ExportOptions,
): Promise<ExportResult> {
  let renderId = opts.resumeId ?? '';
  const remember = async (id: string): Promise<void> => {
    renderId = id;
    if (session)
      await ctx
        .store()
        .saveSession(
          { sessionId: session.sessionId, lastRenderId: id, lastOutput: resolve(opts.output) },
          false,
        );
  };
  let done: RenderStatus;
  try {
    if (opts.resumeId) {
      out.info(`waiting for render ${opts.resumeId}`);
      await remember(opts.resumeId);
      const progress = renderProgress(out);
      progress.id = opts.resumeId;
      done = await client.render.wait(opts.resumeId, {
        signal: ctx.interrupt.signal,
        timeoutMs: opts.timeoutMs,
        onProgress: (s) => progress.update(s),
      });
    } else {
      if (!session)
        throw new CliError('no session to export', {
          fix: 'nemo session use <id>, or nemo export --resume <renderId>',
        });
      done = await submitAndWait(ctx, out, client, session, opts, remember);
    }
  } catch (err) {
    if (ctx.interrupt.interrupted && renderId) {
      out.say(`render ${renderId} keeps running on the server; finish it with: ${resumeHint(renderId)}`);
      throw new InterruptedError(`interrupted while waiting for render ${renderId}`, resumeHint(renderId));
    }
    if (err instanceof TimeoutError && renderId) {
      throw new CliError(`render ${renderId} is still running after the --timeout`, {
        kind: 'transient',
        code: 'render_timeout',
        fix: resumeHint(renderId),
      });
    }
    throw err;
  }
  if (!opts.download) {
    if (!done.url)
      throw new CliError(`render ${renderId} finished without a URL`, {
        fix: `download it by id: nemo export --resume ${renderId} -o out.mp4`,
      });
    return { renderId, url: done.url };
  }
  const progress = out.progress('downloading', {
    event: 'download.progress',
    bytes: true,
    fields: (receivedBytes, totalBytes) => ({ receivedBytes, totalBytes }),
  });
  const reclaim = downloadReclaimer();
  ignoreFileSizeSignal();
  let stalledSaid = false;
  try {
    const got = await client.render.download(done.url ?? renderId, opts.output, {
      signal: ctx.interrupt.signal,
      force: opts.force,
      // a temp file left by a killed run is resumed only for the same render
      resumeKey: renderId || undefined,
      timeoutMs: opts.downloadTimeoutMs,
      stallTimeoutMs: envMs(ctx, 'NEMO_DOWNLOAD_STALL_MS'),
      onProgress: (p) => {
        if (p.stalledMs !== undefined) {
          // the stall shows: in the --json progress event, and once per stall as a line for people
          progress.update(p.receivedBytes, p.totalBytes ?? 0, { stalledMs: p.stalledMs });
          if (!stalledSaid) out.warn(`download stalled: no data for ${Math.round(p.stalledMs / 1000)} s`);
          stalledSaid = true;
          return;
        }
        stalledSaid = false;
        progress.update(p.receivedBytes, p.totalBytes ?? 0);
        reclaim(p.receivedBytes);
      },
    });
    progress.finish(`saved ${got.path}`);
    return { renderId, output: got.path, url: done.url, bytes: got.bytes };
  } catch (err) {
    progress.fail();
    if (ctx.interrupt.interrupted) {
      const fix = `${resumeHint(renderId)}${existsSync(opts.output) ? '' : ` -o '${opts.output}'`}`;
      throw new InterruptedError(
        `interrupted while downloading render ${renderId} (nothing was left under ${opts.output})`,
        fix,
      );
    }
    if (err instanceof TimeoutError && err.code === 'download_timeout') {
      throw new CliError(`${err.message} (render ${renderId})`, {
        kind: 'transient',
        code: 'download_timeout',
        fix: `allow more time: ${resumeHint(renderId)} --download-timeout <seconds>`,
      });
    }
    throw err;
  }
}

const ignore = (): void => {};

/**
 * A write past the file-size limit (`ulimit -f`) raises SIGXFSZ. Node ignores it, so the write fails
 * with EFBIG and the download reports it (exit 1, temp removed); but conf's when-exit listens for it and
 * re-raises it at the process after dropping its listener, which kills nemo with the temp file left.
 * So while nemo downloads, SIGXFSZ is nemo's and does nothing: the EFBIG is what counts.
 */
function ignoreFileSizeSignal(): void {
  if (process.platform === 'win32' || process.listeners('SIGXFSZ').includes(ignore)) return;
  for (const l of process.listeners('SIGXFSZ')) process.off('SIGXFSZ', l);
  process.on('SIGXFSZ', ignore);
}

/** A millisecond setting from the environment (tests use tiny ones), else undefined. */
function envMs(ctx: Ctx, name: string): number | undefined {
  const raw = ctx.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v > 0 ? v : undefined;
}
