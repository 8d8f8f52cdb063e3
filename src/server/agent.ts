import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplyResult, EditOp, PlanResult } from '../engine/types.js';
import { summarize } from '../timeline/index.js';
import type { ServerContext } from './context.js';
import { envelopeError, HttpError, readJsonObject } from './http.js';
import { newInvocationId } from './ids.js';
import { localizeOps, mediaResolver, publishPaths } from './resolve.js';
import { SseWriter } from './sse.js';
import type { Session, TokenRecord } from './store.js';

export const APOLOGY =
  'I encountered a temporary issue while processing your request. Please try again later.';
const TOOL = 'edit_multitrack';
const GREETING = /^\s*(?:(?:hi|hello|hey|help|thanks|thank you)\b|你好|嗨|谢谢)/i;

/** Edit n (1-based) of a session is silent when ⌊n·f⌋ > ⌊(n−1)·f⌋: deterministic, share f over time. */
export function isSilentEdit(n: number, fraction: number): boolean {
  return Math.floor(n * fraction + 1e-9) > Math.floor((n - 1) * fraction + 1e-9);
}

function messageText(body: Record<string, unknown>): string {
  const message = (body.new_message ?? body.newMessage) as { parts?: unknown } | undefined;
  const parts = Array.isArray(message?.parts) ? (message.parts as { text?: unknown }[]) : [];
  return parts
    .map((p) => (typeof p?.text === 'string' ? p.text : ''))
    .join('\n')
    .trim();
}

/**
 * `POST /run_sse` (§4.4, body §5.1 in snake or camel case). Turns of one session run one at a time.
 * Answers JSON (not SSE) for a missing session (404 1002) and too few credits (200 + code 2001).
 */
export async function runSse(
  ctx: ServerContext,
  token: TokenRecord,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJsonObject(req, ctx.opts.maxJsonBytes);
  const sid = body.session_id ?? body.sessionId;
  if (typeof sid !== 'string' || !sid) throw envelopeError(400, 400, 'session_id is required');
  const text = messageText(body);
  if (!text) throw envelopeError(400, 400, 'new_message must have a text part');
  const session = ctx.store.sessionOf(token.userId, sid);
  if (!session) throw envelopeError(404, 1002, 'Session not found');
  if (ctx.faults.take('lose-session')) {
    ctx.store.sessions.delete(sid);
    ctx.log(`fault lose-session: deleted session ${sid}`);
    throw envelopeError(404, 1002, 'Session not found');
  }
  ctx.store.stats.runSse[sid] = (ctx.store.stats.runSse[sid] ?? 0) + 1;
  const previous = session.queue;
  let release = (): void => undefined;
  session.queue = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    await previous;
    await turn(ctx, token, session, text, res);
  } finally {
    release();
  }
}

function capabilities(ctx: ServerContext): string {
  return `I can: ${ctx.engine.SUPPORTED_OPERATIONS.join('; ')}.`;
}

const quoteList = (items: string[]): string => items.map((s) => `"${s}"`).join(', ');

/** The reply when the instruction holds no edit to apply (chat, export only, or nothing understood). */
function textOnlyReply(ctx: ServerContext, session: Session, text: string, plan: PlanResult): string {
  const wantsExport = plan.ops.some((o) => o.op === 'export');
  if (wantsExport && plan.unknown.length === 0) {
    return session.draft
      ? 'Your draft is ready to export. Export renders it (nemo export, or POST /api/render/proxy/lambda with the draft from the session state).'
      : 'Upload a video first: there is no draft to export yet.';
  }
  if (GREETING.test(text)) {
    return `Hi! I edit the videos you upload to this session. Tell me what to change. ${capabilities(ctx)}`;
  }
  return `I can't do ${quoteList(plan.unknown.length ? plan.unknown : [text])} yet. ${capabilities(ctx)}`;
}

async function turn(
  ctx: ServerContext,
  token: TokenRecord,
  session: Session,
  text: string,
  res: ServerResponse,
): Promise<void> {
  const { opts, faults } = ctx;
  const plan = ctx.engine.planInstruction(text);
  const ops: EditOp[] = plan.ops.filter((o) => o.op !== 'export');
  const noDraft = ops.length > 0 && !session.draft;
  const user = ctx.store.users.get(token.userId)!;
  const charge = ops.length > 0 && !noDraft && !session.charged ? opts.editCost : 0;
  if (charge > 0 && user.available < charge) {
    // JSON, not SSE: the client reads a JSON body on /run_sse as an envelope.
    throw new HttpError(200, { code: 2001, message: 'Insufficient credits' });
  }
  const sse = new SseWriter(res, opts, newInvocationId(), (w) => ctx.store.recordSseWrite(session.id, w));
  sse.startHeartbeats(opts.heartbeatMs);
  // The session's edit charge is frozen while the agent works, taken on success, returned on failure.
  user.available -= charge;
  user.frozen += charge;
  const workMs = Math.max(opts.agentMinMs, faults.take('slow-agent')?.ms ?? 0);
  if (workMs > 0) await sleep(workMs, undefined, { signal: ctx.shutdown }).catch(() => undefined);
  let replied = true;
  if (ops.length === 0 || noDraft) {
    sse.text(
      noDraft
        ? 'Upload a video first: this session has no media to edit yet.'
        : textOnlyReply(ctx, session, text, plan),
    );
  } else {
    if (plan.unknown.length > 0) {
      sse.text(`I can't do ${quoteList(plan.unknown)} yet; I'll apply the rest. ${capabilities(ctx)}`);
    }
    const { result, streamCut } = await applyEdit(ctx, session, sse, text, ops);
    user.frozen -= charge;
    if (result && charge > 0) session.charged = true;
    else user.available += charge;
    if (streamCut) return;
    replied = result ? reportEdit(ctx, session, sse, result, plan) : true;
  }
  if (replied && opts.trailingApology) sse.text(APOLOGY);
  sse.end();
}

/**
 * Streams one `edit_multitrack` call: the tool call, the engine's `applyOps` (heartbeats meanwhile), the
 * tool result with the new draft in `stateDelta`. `result` is missing when the edit failed (said in
 * text); `streamCut` is set when a fault ended the stream after the edit landed.
 */
async function applyEdit(
  ctx: ServerContext,
  session: Session,
  sse: SseWriter,
  text: string,
  ops: EditOp[],
): Promise<{ result?: ApplyResult; streamCut: boolean }> {
  const { faults } = ctx;
  const garbage = faults.take('sse-garbage');
  const drop = faults.take('sse-drop');
  const streamError = faults.take('sse-error');
  const callId = `af-${randomUUID()}`;
  sse.toolCall(callId, TOOL, { instruction: text, ops });
  if (garbage) {
    sse.raw('data: this is not json\n\n: a comment line\n\ndata: {"unterminated": \n\n');
    sse.bulk(10 * 1024 * 1024);
  }
  const audio = [...session.media].reverse().find((m) => m.info.file_type === 'audio');
  const resolveSrc = mediaResolver(ctx, session);
  let result: ApplyResult;
  try {
    result = await ctx.engine.applyOps(session.draft!, localizeOps(ops, resolveSrc), {
      resolveSrc,
      musicPath: audio?.path,
      signal: ctx.shutdown,
    });
    result.draft = publishPaths(ctx, result.draft);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`agent: edit failed in session ${session.id}: ${message}`);
    sse.toolResult(callId, TOOL, { status: 'error', error: message });
    sse.text(`I couldn't apply that edit: ${message}. The draft is unchanged.`);
    return { streamCut: false };
  }
  session.draft = result.draft;
  session.edited = true;
  session.edits++;
  if (drop) {
    ctx.log(`fault sse-drop: dropped the stream of session ${session.id} after the tool call`);
    await sse.destroy();
    return { result, streamCut: true };
  }
  if (streamError) {
    sse.error('Internal agent error (injected sse-error fault)');
    sse.end();
    return { result, streamCut: true };
  }
  sse.toolResult(callId, TOOL, { status: 'success', notes: result.notes }, { draft: result.draft });
  if (garbage) sse.raw('data: [not json either]\n\n');
  return { result, streamCut: false };
}

/** The closing text of an edit, unless this edit is a silent one. Returns whether text was sent. */
function reportEdit(
  ctx: ServerContext,
  session: Session,
  sse: SseWriter,
  result: ApplyResult,
  plan: PlanResult,
) {
  if (isSilentEdit(session.edits, ctx.opts.silentFraction)) return false;
  const exportHint = plan.ops.some((o) => o.op === 'export') ? '\nExport renders it (nemo export).' : '';
  sse.text(`Done: ${result.notes.join('; ')}.\n${summarize(result.draft)}${exportHint}`);
  return true;
}
