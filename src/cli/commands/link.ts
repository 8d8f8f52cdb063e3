import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { sessionFor } from '../flows/session.js';

/** `nemo link`: a browser link to the project through a claim token (never the user token). */
export async function run(ctx: Ctx, _args: unknown, opts: { session?: string }): Promise<void> {
  const session = await sessionFor(ctx, opts.session);
  if (!session.taskId)
    throw new CliError(`session ${session.sessionId} has no task id recorded`, {
      fix: 'start a session with nemo session new',
    });
  const client = await ctx.client();
  const link = await client.auth.claimToken(
    { taskId: session.taskId, sessionId: session.sessionId },
    ctx.interrupt.signal,
  );
  if (ctx.out.json) ctx.out.result({ url: link.url, expiresIn: link.expiresIn ?? null });
  else ctx.out.data(link.url);
}
