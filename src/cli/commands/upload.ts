import type { Ctx } from '../context.js';
import { sessionFor } from '../flows/session.js';
import { checkInputs, uploadItems } from '../flows/upload.js';

/** `nemo upload <file|url…>`: into the current session (a new one when there is none). */
export async function run(ctx: Ctx, items: string[], opts: { session?: string }): Promise<void> {
  await checkInputs(items);
  const session = await sessionFor(ctx, opts.session, { create: true });
  const client = await ctx.client();
  await uploadItems(ctx, ctx.out, client, session.sessionId, items);
  const saved = await ctx
    .store()
    .saveSession(
      { sessionId: session.sessionId, files: [...(session.files ?? []), ...items] },
      !opts.session,
    );
  ctx.out.event('result', { sessionId: saved.sessionId, files: items });
  if (!ctx.out.json) ctx.out.data(saved.sessionId);
}
