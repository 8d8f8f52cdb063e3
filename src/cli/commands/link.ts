import { CliError, UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { sessionFor } from '../flows/session.js';

/** `nemo link`: a browser link to the project through a claim token (never the user token). */
export async function run(ctx: Ctx, _args: unknown, opts: { session?: string }): Promise<void> {
  // a claim link opens the project in NemoVideo's web app: only NemoVideo's API has pages there.
  // Checked before anything is sent (finding the session may create one).
  const api = new URL(ctx.apiUrl() ?? 'https://mega-api-prod.nemovideo.ai');
  if (!/(^|\.)nemovideo\.(ai|com)$/i.test(api.hostname) && !ctx.env.NEMO_WEB_URL)
    throw new UsageError(
      `the API at ${api.origin} is not NemoVideo's, so its projects have no page on nemovideo.com`,
      "set NEMO_WEB_URL to that server's web app, or use the NemoVideo API (unset NEMO_API_URL)",
    );
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
