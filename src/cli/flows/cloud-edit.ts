import type { NemoClient } from '../../api/index.js';
import type { SessionRecord } from '../../config/index.js';
import type { Ctx } from '../context.js';
import type { Output } from '../output.js';
import { chatTurn } from './chat-turn.js';
import { type ExportOptions, type ExportResult, exportSession } from './export.js';
import { createSession, sessionFor } from './session.js';
import { uploadItems } from './upload.js';

export interface CloudEditInput {
  /** Files (checked already) and URLs. */
  items: string[];
  instruction: string;
  /** Use this session instead of a new one. */
  sessionId?: string;
  exportOptions: ExportOptions;
  /** Live text (ADK `streaming: true`). */
  stream?: boolean;
}

export interface CloudEditResult extends ExportResult {
  sessionId: string;
}

/** A fresh session with the files uploaded, recorded in the profile. */
async function sessionWithFiles(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  items: string[],
  existing?: string,
): Promise<SessionRecord> {
  const session = existing ? await sessionFor(ctx, existing) : await createSession(ctx);
  out.info(`session ${session.sessionId}`);
  out.event('session', { sessionId: session.sessionId, taskId: session.taskId ?? null });
  await uploadItems(ctx, out, client, session.sessionId, items);
  return ctx
    .store()
    .saveSession({ sessionId: session.sessionId, files: [...(session.files ?? []), ...items] });
}

/**
 * The cloud edit: token → session → upload → chat (live text; a silent edit is diffed; a dropped
 * stream is recovered without resending; a lost session is recreated with the files re-uploaded
 * and the instruction sent once more) → render (retried once on failure) → download. An error from
 * the agent fails the edit (exit 5) before anything is rendered: a half-done draft is not exported.
 */
export async function cloudEdit(ctx: Ctx, out: Output, input: CloudEditInput): Promise<CloudEditResult> {
  const client = await ctx.client();
  let session = await sessionWithFiles(ctx, out, client, input.items, input.sessionId);
  const turn = await chatTurn(ctx, out, client, session.sessionId, input.instruction, {
    stream: input.stream,
    recreate: async (why) => {
      const lost = session.sessionId;
      session = await sessionWithFiles(ctx, out, client, input.items);
      out.warn(
        `session ${lost} was lost on the server${why ? ` ${why}` : ''}: created session ${session.sessionId}, re-uploaded ${input.items.length} file${input.items.length === 1 ? '' : 's'}, sending the instruction again`,
      );
      out.event('session.recreated', { lost, sessionId: session.sessionId });
      return session.sessionId;
    },
  });
  session = ctx.store().findSession(turn.sessionId) ?? session;
  if (turn.changes.length === 0)
    out.warn('the draft did not change (see the reply above); exporting it as it is');
  const result = await exportSession(ctx, out, client, session, input.exportOptions);
  return { ...result, sessionId: session.sessionId };
}
