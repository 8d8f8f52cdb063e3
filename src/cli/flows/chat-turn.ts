import { ConnectionError, SessionNotFoundError } from '../../api/errors.js';
import type { NemoClient } from '../../api/index.js';
import { poll } from '../../api/retry.js';
import { type DraftChange, describeDiff, diffDrafts, parseDraft } from '../../timeline/index.js';
import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { translateGui } from '../gui-translate.js';
import type { Output } from '../output.js';
import { DEFAULT_STILL_WORKING_MS, Working } from '../working.js';

export interface TurnResult {
  sessionId: string;
  textSeen: boolean;
  /** What changed in the draft during the turn. */
  changes: DraftChange[];
}

export interface TurnOptions {
  /**
   * After the server said the session is gone (1002, or ADK's HTTP 404): make a new session with the
   * same files; returns its id. Used once. `why` words what the server sent, e.g. `(1002)`, `(HTTP 404)`.
   */
  recreate?: (why: string) => Promise<string>;
  /** Ask for live text (ADK `streaming: true`): partial text is shown as it comes, the final text once. */
  stream?: boolean;
}

/** What the server sent to say the session is gone: its body code, else its HTTP status; never a guess. */
export function lostSessionLabel(err: SessionNotFoundError): string {
  const { serverCode, status } = err;
  if (serverCode !== undefined && serverCode !== status) return `(${serverCode})`;
  if (status !== undefined) return `(HTTP ${status})`;
  return serverCode !== undefined ? `(${serverCode})` : '';
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

const CHECKS = 5;

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
  const giveUp = (): CliError =>
    new CliError(
      `the connection dropped and the edit did not show up in the project after ${CHECKS} checks`,
      {
        kind: 'transient',
        code: 'sse_dropped',
        fix: 'look with nemo state, then send the instruction again with nemo chat',
      },
    );
  return poll<TurnResult>(
    async (n) => {
      const changes = diffDrafts(parseDraft(before), parseDraft(await draftOf(ctx, client, sessionId)));
      if (changes.length > 0) {
        reportChanges(out, changes, 'the edit landed');
        return { done: { sessionId, textSeen: false, changes } };
      }
      out.info(`no change yet (check ${n + 1} of ${CHECKS})`);
      return { againMs: interval * 2 };
    },
    { firstDelayMs: interval, checks: CHECKS, giveUp, signal: ctx.interrupt.signal },
  );
}

interface AgentFailure {
  message: string;
  code?: string;
}

/** The turn failed: the agent's own words (one line), and the code it sent, if any. */
function agentFailed(failures: AgentFailure[], changed: boolean): CliError {
  const said = failures
    .map((f) => `${f.message.replace(/\s*\n\s*/g, ' ').trim()}${f.code ? ` (${f.code})` : ''}`)
    .join('; ');
  return new CliError(`the agent failed: ${said}`, {
    kind: 'job_failed',
    code: 'agent_error',
    fix: changed
      ? 'the draft holds a half-done edit (see nemo state); rephrase the instruction and try again'
      : 'rephrase the instruction and try again',
  });
}

async function streamTurn(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  sessionId: string,
  text: string,
  opts: TurnOptions,
): Promise<TurnResult> {
  const before = await draftOf(ctx, client, sessionId);
  const idleTimeoutMs = ctx.env.NEMO_CHAT_IDLE_TIMEOUT_MS
    ? envMs(ctx, 'NEMO_CHAT_IDLE_TIMEOUT_MS', 600_000)
    : undefined;
  const working = new Working(out, {
    intervalMs: Math.max(1, envMs(ctx, 'NEMO_STILL_WORKING_MS', DEFAULT_STILL_WORKING_MS)),
  });
  let textSeen = false;
  let partialOpen = false;
  let gotEvents = false;
  let lastBeatEvent = 0;
  const failures: AgentFailure[] = [];
  /** Ends the line of live (partial) text, so the next line starts on its own. */
  const closeLine = (): void => {
    if (!partialOpen) return;
    out.write('\n');
    partialOpen = false;
    working.resume();
  };
  working.start();
  try {
    for await (const ev of client.chat.send(sessionId, text, {
      signal: ctx.interrupt.signal,
      idleTimeoutMs,
      streaming: opts.stream,
    })) {
      if (ev.type !== 'done') gotEvents = true;
      switch (ev.type) {
        case 'text':
          if (ev.apology && textSeen) {
            out.event('chat.text', { text: ev.text, apology: true });
            break;
          }
          if (ev.partial) {
            working.pause();
            out.write(ev.text);
            partialOpen = true;
            out.event('chat.text', { text: ev.text, partial: true });
          } else if (ev.replacesPartial) {
            // the whole text of the chunks already shown: not printed again (only a translation note)
            closeLine();
            const shown = translateGui(ev.text);
            if (shown !== ev.text) out.info(shown.slice(ev.text.replace(/\s+$/, '').length + 1));
            out.event('chat.text', { text: ev.text, replacesPartial: true });
          } else {
            closeLine();
            out.info(translateGui(ev.text));
            out.event('chat.text', { text: ev.text });
          }
          textSeen = true;
          working.news();
          break;
        case 'toolCall':
          closeLine();
          working.toolStarted(ev.id, ev.name);
          out.info(out.c.dim(`… ${ev.name}${ev.longRunning ? ' (long-running)' : ''}`));
          out.event('chat.tool', {
            phase: 'call',
            name: ev.name,
            ...(ev.longRunning ? { longRunning: true } : {}),
          });
          break;
        case 'toolResult':
          working.toolEnded(ev.id, ev.name);
          out.event('chat.tool', { phase: 'result', name: ev.name });
          break;
        case 'heartbeat':
          // at most one event a second: a fast heartbeat must not flood stdout
          if (Date.now() - lastBeatEvent >= 1000) {
            lastBeatEvent = Date.now();
            out.event('chat.heartbeat');
          }
          break;
        case 'error':
          // the turn failed, whatever came before; said once, after the stream ends
          closeLine();
          failures.push({ message: ev.message, code: ev.code });
          break;
        default:
          break;
      }
    }
  } catch (err) {
    working.stop();
    closeLine();
    if (ctx.interrupt.interrupted) throw ctx.interrupt.signal.reason;
    if (failures.length > 0) throw agentFailed(failures, false);
    if (gotEvents && err instanceof ConnectionError)
      return recoverAfterDrop(ctx, out, client, sessionId, before);
    throw err;
  } finally {
    working.stop();
  }
  closeLine();
  if (failures.length > 0) {
    // what the failed turn left in the draft, so nobody mistakes it for a finished edit
    let changes: DraftChange[] = [];
    try {
      changes = diffDrafts(parseDraft(before), parseDraft(await draftOf(ctx, client, sessionId)));
    } catch {
      // the state could not be read: the agent's failure is still what to report
      if (ctx.interrupt.interrupted) throw ctx.interrupt.signal.reason;
    }
    if (changes.length > 0) {
      const text = describeDiff(changes);
      out.warn(`the failed turn left a half-done edit in the draft: ${text}`);
      out.event('state.diff', { changes, text, failed: true });
    }
    throw agentFailed(failures, changes.length > 0);
  }
  const changes = diffDrafts(parseDraft(before), parseDraft(await draftOf(ctx, client, sessionId)));
  if (textSeen) return { sessionId, textSeen, changes };
  reportChanges(out, changes, 'done without a reply; what changed');
  return { sessionId, textSeen, changes };
}

/**
 * One chat turn: send `text`, show the reply live (stderr, with GUI talk translated), and make sure
 * the outcome is known — a silent edit is described by diffing the state, a dropped stream is
 * recovered by polling (never resent), and a lost session (1002 / HTTP 404) is recreated once via
 * `recreate`. An error from the agent fails the turn (exit 5, `agent_error`), even after some text.
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
    return await streamTurn(ctx, out, client, sessionId, text, opts);
  } catch (err) {
    if (!opts.recreate || !(err instanceof SessionNotFoundError)) throw err;
    const fresh = await opts.recreate(lostSessionLabel(err));
    return streamTurn(ctx, out, client, fresh, text, opts);
  }
}
