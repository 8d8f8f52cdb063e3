import type { SessionRecord } from '../../config/index.js';
import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';

/** Creates a cloud session (task + session), records it in the profile and makes it current. */
export async function createSession(
  ctx: Ctx,
  opts: { language?: string; taskName?: string; makeCurrent?: boolean } = {},
): Promise<SessionRecord> {
  const client = await ctx.client();
  const s = await client.sessions.create({
    taskName: opts.taskName ?? 'nemo',
    language: opts.language ?? ctx.settings().language ?? 'en',
    signal: ctx.interrupt.signal,
  });
  return ctx
    .store()
    .saveSession({ sessionId: s.sessionId, taskId: s.taskId, files: [] }, opts.makeCurrent ?? true);
}

/**
 * The session a command works on: `--session <id>` (recorded if nemo has not seen it), else the
 * profile's current session, else a new one when `create` is set.
 */
export async function sessionFor(
  ctx: Ctx,
  id: string | undefined,
  opts: { create?: boolean } = {},
): Promise<SessionRecord> {
  if (id) return ctx.store().findSession(id) ?? ctx.store().saveSession({ sessionId: id }, false);
  const current = ctx.store().currentSession();
  if (current) return current;
  if (opts.create) return createSession(ctx);
  throw new CliError(`profile ${ctx.profile} has no current session`, {
    fix: 'start one with nemo session new, or edit a file: nemo edit <file> "<instruction>"',
  });
}
