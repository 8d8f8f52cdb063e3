import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, SessionNotFoundError } from '../../api/errors.js';
import type { NemoClient } from '../../api/index.js';
import { type DraftChange, describeDiff, diffDrafts, parseDraft } from '../../timeline/index.js';
import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { translateGui } from '../gui-translate.js';
import type { Output } from '../output.js';

export interface TurnResult {
  sessionId: string;
  textSeen: boolean;
  /** What changed in the draft during the turn. */
  changes: DraftChange[];
}

export interface TurnOptions {
  /** After a 1002 (session lost): make a new session with the same files; returns its id. Used once. */
  recreate?: () => Promise<string>;
}

const envMs = (ctx: Ctx, name: string, fallback: number): number => {
  const v = Number(ctx.env[name]);
  return Number.isFinite(v) && v >= 0 && ctx.env[name] !== '' && ctx.env[name] !== undefined ? v : fallback;
};

async function draftOf(ctx: Ctx, client: NemoClient, sessionId: string): Promise<unknown> {
  return (await client.state.get(sessionId, ctx.interrupt.signal)).state.draft;
}

function reportChanges(out: Output, changes: DraftChange[], lead: string): void {
  const text = describeDiff(changes);
  out.info(`${lead}: ${text}`);
  out.event('state.diff', { changes, text });
}

/**
 * After the stream dropped mid-reply: never resend (it would run the edit twice and charge twice).
 * Protocol §7: wait, query the state, compare; 5 tries (interval, then twice the interval).
 */
async function recoverAfterDrop(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  sessionId: string,
  before: unknown,
): Promise<TurnResult> {
  const interval = envMs(ctx, 'NEMO_RECOVERY_INTERVAL_MS', 30_000);
  out.warn(
    'the connection dropped mid-reply; not resending (that could run the edit twice). Checking the project…',
  );
  for (let i = 1; i <= 5; i++) {
    await sleep(i === 1 ? interval : interval * 2, undefined, { signal: ctx.interrupt.signal });
    const changes = diffDrafts(parseDraft(before), parseDraft(await draftOf(ctx, client, sessionId)));
    if (changes.length > 0) {
      reportChanges(out, changes, 'the edit landed');
      return { sessionId, textSeen: false, changes };
    }
    out.info(`no change yet (check ${i} of 5)`);
  }
  throw new CliError('the connection dropped and the edit did not show up in the project after 5 checks', {
    kind: 'transient',
    code: 'sse_dropped',
    fix: 'look with nemo state, then send the instruction again with nemo chat',
  });
}

async function streamTurn(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  sessionId: string,
  text: string,
): Promise<TurnResult> {
  const before = await draftOf(ctx, client, sessionId);
  const stillMs = envMs(ctx, 'NEMO_STILL_WORKING_MS', 30_000);
  const idleTimeoutMs = ctx.env.NEMO_CHAT_IDLE_TIMEOUT_MS
    ? envMs(ctx, 'NEMO_CHAT_IDLE_TIMEOUT_MS', 600_000)
    : undefined;
  let textSeen = false;
  let partialOpen = false;
  let gotEvents = false;
  let lastNews = Date.now();
  let lastBeatEvent = 0;
  let agentError: string | undefined;
  try {
    for await (const ev of client.chat.send(sessionId, text, {
      signal: ctx.interrupt.signal,
      idleTimeoutMs,
    })) {
      if (ev.type !== 'heartbeat') lastNews = Date.now();
      if (ev.type !== 'done') gotEvents = true;
      switch (ev.type) {
        case 'text':
          if (ev.apology && textSeen) {
            out.event('chat.text', { text: ev.text, apology: true });
            break;
          }
          if (ev.partial) {
            out.write(ev.text);
            partialOpen = true;
            out.event('chat.text', { text: ev.text, partial: true });
          } else {
            if (partialOpen) out.write('\n');
            const shown = translateGui(ev.text);
            if (!partialOpen) out.info(shown);
            else if (shown !== ev.text) out.info(shown.slice(ev.text.replace(/\s+$/, '').length + 1));
            partialOpen = false;
            out.event('chat.text', { text: ev.text });
          }
          textSeen = true;
          break;
        case 'toolCall':
          out.info(out.c.dim(`… ${ev.name}`));
          out.event('chat.tool', { phase: 'call', name: ev.name });
          break;
        case 'toolResult':
          out.event('chat.tool', { phase: 'result', name: ev.name });
          break;
        case 'heartbeat':
          // at most one event a second: a fast heartbeat must not flood stdout
          if (Date.now() - lastBeatEvent >= 1000) {
            lastBeatEvent = Date.now();
            out.event('chat.heartbeat');
          }
          if (Date.now() - lastNews >= stillMs) {
            out.info('⏳ still working…');
            lastNews = Date.now();
          }
          break;
        case 'error':
          agentError = ev.message;
          out.warn(`the agent reported: ${ev.message}`);
          break;
        default:
          break;
      }
    }
  } catch (err) {
    if (ctx.interrupt.interrupted) throw ctx.interrupt.signal.reason;
    if (gotEvents && err instanceof ConnectionError)
      return recoverAfterDrop(ctx, out, client, sessionId, before);
    throw err;
  }
  if (partialOpen) out.write('\n');
  const changes = diffDrafts(parseDraft(before), parseDraft(await draftOf(ctx, client, sessionId)));
  if (textSeen) return { sessionId, textSeen, changes };
  if (agentError && changes.length === 0) {
    throw new CliError(`the agent failed: ${agentError}`, {
      kind: 'job_failed',
      code: 'agent_error',
      fix: 'rephrase the instruction and try again',
    });
  }
  reportChanges(out, changes, 'done without a reply; what changed');
  return { sessionId, textSeen, changes };
}

/**
 * One chat turn: send `text`, show the reply live (stderr, with GUI talk translated), and make sure
 * the outcome is known — a silent edit is described by diffing the state, a dropped stream is
 * recovered by polling (never resent), and a lost session (1002) is recreated once via `recreate`.
 */
export async function chatTurn(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  sessionId: string,
  text: string,
  opts: TurnOptions = {},
): Promise<TurnResult> {
  try {
    return await streamTurn(ctx, out, client, sessionId, text);
  } catch (err) {
    if (!opts.recreate || !(err instanceof SessionNotFoundError)) throw err;
    const fresh = await opts.recreate();
    return streamTurn(ctx, out, client, fresh, text);
  }
}
