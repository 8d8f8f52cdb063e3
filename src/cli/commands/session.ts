import type { SessionRecord } from '../../config/index.js';
import { CliError, UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { createSession } from '../flows/session.js';

function line(s: SessionRecord, current: string | undefined): string {
  const mark = s.sessionId === current ? '*' : ' ';
  const files = s.files?.length ? `  ${s.files.length} file${s.files.length === 1 ? '' : 's'}` : '';
  const render = s.lastRenderId ? `  last render ${s.lastRenderId}` : '';
  return `${mark} ${s.sessionId}  ${s.createdAt}${files}${render}`;
}

/** `nemo session new [--language]`: a new cloud session, made current; its id on stdout. */
export async function create(ctx: Ctx, _args: unknown, opts: { language?: string }): Promise<void> {
  const rec = await createSession(ctx, { language: opts.language });
  if (ctx.out.json) ctx.out.result(rec);
  else ctx.out.data(rec.sessionId);
}

export async function list(ctx: Ctx): Promise<void> {
  const sessions = ctx.store().sessions();
  const current = ctx.store().currentSession()?.sessionId;
  if (ctx.out.json) {
    ctx.out.result({ profile: ctx.profile, current: current ?? null, sessions });
    return;
  }
  if (sessions.length === 0)
    ctx.out.info('no sessions yet: nemo session new, or nemo edit <file> "<instruction>"');
  for (const s of sessions) ctx.out.data(line(s, current));
}

export async function use(ctx: Ctx, id: string): Promise<void> {
  const rec = await ctx.store().useSession(id);
  if (!rec)
    throw new UsageError(`no session ${id} in profile ${ctx.profile}`, 'see them with: nemo session list');
  if (ctx.out.json) ctx.out.result(rec);
  else ctx.out.info(`current session: ${id}`);
}

export async function show(ctx: Ctx, id: string | undefined): Promise<void> {
  const rec = id ? ctx.store().findSession(id) : ctx.store().currentSession();
  if (!rec) {
    throw id
      ? new UsageError(`no session ${id} in profile ${ctx.profile}`, 'see them with: nemo session list')
      : new CliError(`profile ${ctx.profile} has no current session`, { fix: 'start one: nemo session new' });
  }
  if (ctx.out.json) {
    ctx.out.result(rec);
    return;
  }
  for (const [k, v] of Object.entries(rec)) ctx.out.data(`${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
}
