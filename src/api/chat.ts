import type { Logger } from './debug-log.js';
import { decodeEnvelope } from './envelope.js';
import { AbortError, ApiError, ConnectionError, type NemoError, TimeoutError } from './errors.js';
import {
  brokenErrorFrame,
  type ChatEvent,
  ChatEventShaper,
  eventsFromFrame,
  type FrameEvent,
} from './sse-events.js';
import { BoundedSseReader } from './sse-reader.js';
import { type Transport, toNemoError } from './transport.js';

export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_MAX_EVENT_CHARS = 1024 * 1024;

export interface ChatOptions {
  signal?: AbortSignal;
  /**
   * Idle limit, default 10 min → TimeoutError. It counts the time since the last byte of any kind (ADK
   * sends nothing at all while a tool runs); a stream of heartbeats alone is held to the same limit
   * since the last substantive event (the vendor's "10 min heartbeats only → timeout").
   */
  idleTimeoutMs?: number;
  /**
   * Ask for live text (ADK `streaming: true`): `partial` text chunks, then the whole text once more
   * as a final event (yielded with `replacesPartial`). Off by default, as the vendor's clients send it.
   */
  streaming?: boolean;
  /** The whole exchange. Default 15 min. */
  totalTimeoutMs?: number;
  /** Events larger than this are dropped (debug-logged). Default 1 MiB. */
  maxEventChars?: number;
}

export class Chat {
  constructor(private readonly transport: Transport) {}

  /**
   * POST /run_sse and yield typed events, ending with `done`. Never retried (a resend would duplicate
   * the edit and charge twice); a 401 before the stream starts is replayed once after re-auth, since
   * the message was never accepted. Breaking out of `for await` aborts the request.
   */
  send(sessionId: string, text: string, options: ChatOptions = {}): AsyncIterable<ChatEvent> {
    return this.run(sessionId, text, options);
  }

  private async *run(sessionId: string, text: string, options: ChatOptions): AsyncGenerator<ChatEvent> {
    const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const totalMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
    const ctl = new AbortController();
    let timeout: TimeoutError | undefined;
    const fire = (message: string): void => {
      timeout = new TimeoutError(message, {
        hint: 'The agent may still be working: check the project state before sending the message again.',
      });
      ctl.abort(timeout);
    };
    const totalTimer = setTimeout(() => fire(`The agent did not finish within ${fmtMs(totalMs)}`), totalMs);
    // Two clocks, one limit: since the last byte of any kind, and since the last substantive event.
    // The second is never later than the first; what came in between words the message.
    let heartbeatsSinceNews = 0;
    let bytesSinceNews = false;
    const idleMessage = (): string => {
      if (heartbeatsSinceNews > 0) return `No reply from the agent for ${fmtMs(idleMs)} (heartbeats only)`;
      if (bytesSinceNews)
        return `No reply from the agent for ${fmtMs(idleMs)} (only data nemo could not read)`;
      return `No data from the agent for ${fmtMs(idleMs)} (no event, no heartbeat)`;
    };
    let idleTimer = setTimeout(() => fire(idleMessage()), idleMs);
    const resetIdle = (): void => {
      heartbeatsSinceNews = 0;
      bytesSinceNews = false;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => fire(idleMessage()), idleMs);
    };
    const onAbort = (): void => ctl.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const queue: FrameEvent[] = [];
    const log: Logger | undefined = this.transport.logger;
    const maxChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
    const reader = new BoundedSseReader(
      {
        onMessage: (m, stray) => {
          if (m.data.trim() === '') return void queue.push({ type: 'heartbeat' });
          let frame: unknown;
          try {
            frame = JSON.parse(m.data);
          } catch {
            // ADK 1.x writes its error frame with an f-string: a quote or a newline in the message breaks it.
            const broken = brokenErrorFrame(m.data, stray);
            if (broken) return void queue.push(broken);
            log?.(`nemo:sse ignored non-JSON data: ${m.data.slice(0, 120)}`);
            return;
          }
          queue.push(...eventsFromFrame(frame));
        },
        onComment: () => queue.push({ type: 'heartbeat' }),
        onDropped: (reason) => log?.(`nemo:sse ${reason}`),
      },
      maxChars,
    );
    const shaper = new ChatEventShaper();
    const failure = (err: unknown): NemoError => {
      if (timeout) return timeout;
      if (options.signal?.aborted) return new AbortError('Chat was aborted.', { cause: err });
      const base = toNemoError(err, undefined, false);
      if (base instanceof ConnectionError) {
        return new ConnectionError(`The chat stream was cut: ${base.message}`, {
          cause: err,
          hint: 'The message was sent: do not resend it. Check the project state to see what changed.',
        });
      }
      return base;
    };

    try {
      let res: Awaited<ReturnType<Transport['stream']>>;
      try {
        // A 404 means the message was not accepted, so the §12.10 retry with the real user id is safe.
        res = await this.transport.withUser((user) =>
          this.transport.stream({
            method: 'POST',
            path: '/run_sse',
            json: {
              app_name: 'nemo_agent',
              user_id: user === 'me' ? 'me' : decodeURIComponent(user),
              session_id: sessionId,
              new_message: { role: 'user', parts: [{ text }] },
              ...(options.streaming ? { streaming: true } : {}),
            },
            accept: 'text/event-stream',
            retry: false,
            signal: ctl.signal,
            timeoutMs: Math.min(idleMs, totalMs),
          }),
        );
      } catch (err) {
        if (err instanceof AbortError || err instanceof TimeoutError) throw failure(err);
        throw err;
      }
      const sniffer = new JsonBodySniffer(maxChars);
      try {
        for await (const chunk of res.body) {
          if ((chunk as Buffer).length > 0) bytesSinceNews = true;
          if (sniffer.take(chunk as Buffer)) continue;
          reader.feed(chunk as Buffer);
          while (queue.length > 0) {
            const event = shaper.shape(queue.shift()!);
            if (event.type === 'heartbeat') heartbeatsSinceNews += 1;
            else resetIdle();
            yield event;
          }
        }
        reader.end();
        const json = sniffer.json();
        if (json !== undefined) {
          // A JSON envelope whose Content-Type did not say so (e.g. HTTP 200 + code 2001).
          const decoded = decodeEnvelope(res.status, 'application/json', json);
          if (!decoded.ok) throw this.transport.errorOf('/run_sse', res.headers, decoded);
        }
      } catch (err) {
        throw failure(err);
      }
      while (queue.length > 0) yield shaper.shape(queue.shift()!);
      yield { type: 'done', textSeen: shaper.textSeen, toolCalls: shaper.toolCalls };
    } finally {
      clearTimeout(totalTimer);
      clearTimeout(idleTimer);
      options.signal?.removeEventListener('abort', onAbort);
      if (!ctl.signal.aborted) ctl.abort(new AbortError('Chat stream closed by the consumer.'));
    }
  }
}

/** `800 ms`, `45 s`, `10 min`, `2 min 30 s`. */
function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]);

/**
 * Tells an SSE stream from a JSON body by its first non-blank byte, whatever the Content-Type said
 * and however the body is split into chunks: an SSE line starts with a field name or `:`, never with
 * `{` or `[`. A JSON body is kept whole (up to `maxChars`) for decoding.
 */
class JsonBodySniffer {
  private decided = false;
  private chunks: Buffer[] | undefined;
  private size = 0;

  constructor(private readonly maxChars: number) {}

  /** True when `chunk` belongs to a JSON body (kept here, not SSE). Blank lines before the decision are harmless SSE. */
  take(chunk: Buffer): boolean {
    if (!this.decided) {
      const first = chunk.find((b) => !WHITESPACE.has(b));
      if (first === undefined) return false;
      this.decided = true;
      if (first === 0x7b || first === 0x5b) this.chunks = [];
    }
    if (!this.chunks) return false;
    this.size += chunk.length;
    if (this.size > this.maxChars) {
      throw new ApiError(`The server answered /run_sse with a JSON body over ${this.maxChars} bytes`, {
        status: 200,
      });
    }
    this.chunks.push(chunk);
    return true;
  }

  /** The JSON body's text, or undefined for an SSE stream. */
  json(): string | undefined {
    return this.chunks && Buffer.concat(this.chunks).toString('utf8');
  }
}
