import { asObject, type Json, pickString } from './fields.js';

/**
 * Typed events of a `/run_sse` chat stream (the public shape; protocol §5, §12.5).
 *
 * - `text`: assistant text. `partial: true` marks a streaming chunk (a delta); the later final text of
 *   the same author arrives with `replacesPartial: true` and holds the WHOLE text, so a printer that
 *   showed the partial chunks should not print it again. `apology: true` marks the backend's trailing
 *   "I encountered a temporary issue" after an otherwise normal reply (show it as a warning).
 * - `toolCall` / `toolResult`: the agent started / finished a tool (`id` pairs them when present;
 *   `longRunning: true` when ADK listed the call in `longRunningToolIds`).
 * - `heartbeat`: keep-alive (`: ping` comment, empty `data:`, `{type:"heartbeat"|"ping"}`).
 * - `error`: a stream-level error frame (`{"error":…}`, `errorCode`/`errorMessage`, `{type:"error"}`),
 *   also one that is not valid JSON (ADK 1.x's f-string `{"error": "<message>"}`, see brokenErrorFrame).
 *   `code` is only ever a code the server sent (`errorCode`, `error.code`).
 * - `stateDelta`: a non-empty `actions.stateDelta` (the session state changed, e.g. the draft).
 * - `done`: the stream ended cleanly (always the last event); `textSeen` says whether any text came.
 * Every event but `heartbeat` and `done` carries `raw`, the decoded JSON frame.
 */
export type ChatEvent =
  | {
      type: 'text';
      text: string;
      author?: string;
      partial?: boolean;
      replacesPartial?: boolean;
      apology?: boolean;
      raw: unknown;
    }
  | { type: 'toolCall'; name: string; args: unknown; id?: string; longRunning?: boolean; raw: unknown }
  | { type: 'toolResult'; name: string; response: unknown; id?: string; raw: unknown }
  | { type: 'heartbeat' }
  | { type: 'error'; message: string; code?: string; raw: unknown }
  | { type: 'stateDelta'; delta: Record<string, unknown>; raw: unknown }
  | { type: 'done'; textSeen: boolean; toolCalls: number };

/** Events before partial/apology post-processing (what one frame says). */
export type FrameEvent = Exclude<ChatEvent, { type: 'done' }>;

const TEXT_TYPES = new Set(['text', 'chunk', 'message']);
const TOOL_START = new Set(['tool_call', 'tool_start', 'toolcall_start', 'function_call']);
const TOOL_END = new Set(['tool_result', 'tool_end', 'toolcall_end', 'function_response']);
const KEEPALIVE = new Set(['heartbeat', 'ping', 'keepalive']);

/** Decode one JSON frame into zero or more events. */
export function eventsFromFrame(frame: unknown): FrameEvent[] {
  const obj = asObject(frame);
  if (!obj)
    return typeof frame === 'string' && frame !== '' ? [{ type: 'text', text: frame, raw: frame }] : [];
  const type = typeof obj.type === 'string' ? obj.type.toLowerCase() : undefined;
  if (type && KEEPALIVE.has(type)) return [{ type: 'heartbeat' }];
  const errorEvent = errorFrom(obj, type);
  if (errorEvent) return [errorEvent];
  if (type && type !== 'done') {
    const typed = typedEvent(obj, type);
    if (typed) return typed;
  }
  const out: FrameEvent[] = [];
  const content = asObject(obj.content);
  const parts = Array.isArray(content?.parts) ? content.parts : undefined;
  const author = pickString(obj, 'author');
  const longIds = obj.longRunningToolIds ?? obj.long_running_tool_ids;
  const longRunning = new Set(Array.isArray(longIds) ? longIds.filter((x) => typeof x === 'string') : []);
  if (parts) {
    for (const p of parts) {
      const part = asObject(p);
      if (!part) continue;
      if (typeof part.text === 'string' && part.thought !== true && part.text !== '') {
        out.push(
          withAuthor({ type: 'text', text: part.text, partial: obj.partial === true, raw: frame }, author),
        );
      }
      const call = asObject(part.functionCall ?? part.function_call);
      if (call) {
        const id = pickString(call, 'id');
        out.push({
          type: 'toolCall',
          name: pickString(call, 'name') ?? 'tool',
          args: call.args ?? {},
          id,
          ...(id !== undefined && longRunning.has(id) ? { longRunning: true } : {}),
          raw: frame,
        });
      }
      const response = asObject(part.functionResponse ?? part.function_response);
      if (response) {
        out.push({
          type: 'toolResult',
          name: pickString(response, 'name') ?? 'tool',
          response: response.response,
          id: pickString(response, 'id'),
          raw: frame,
        });
      }
    }
  } else if (typeof obj.text === 'string' && obj.text !== '') {
    out.push(withAuthor({ type: 'text', text: obj.text, partial: obj.partial === true, raw: frame }, author));
  }
  const actions = asObject(obj.actions);
  const delta = asObject(actions?.stateDelta ?? actions?.state_delta ?? obj.stateDelta ?? obj.state_delta);
  if (delta && Object.keys(delta).length > 0) out.push({ type: 'stateDelta', delta, raw: frame });
  return out;
}

function withAuthor(
  event: Extract<FrameEvent, { type: 'text' }>,
  author: string | undefined,
): Extract<FrameEvent, { type: 'text' }> {
  if (!event.partial) delete event.partial;
  if (author) event.author = author;
  return event;
}

function errorFrom(obj: Json, type: string | undefined): FrameEvent | undefined {
  const code = pickString(obj, 'errorCode', 'error_code');
  if (obj.error !== undefined && obj.error !== null && obj.error !== false) {
    const err = obj.error;
    const message =
      typeof err === 'string' ? err : (pickString(err, 'message', 'msg') ?? JSON.stringify(err));
    return { type: 'error', message, code: code ?? pickString(err, 'code'), raw: obj };
  }
  if (code || typeof obj.errorMessage === 'string') {
    return {
      type: 'error',
      message: pickString(obj, 'errorMessage', 'error_message') ?? code ?? 'error',
      code,
      raw: obj,
    };
  }
  if (type === 'error') {
    return { type: 'error', message: pickString(obj, 'message', 'content', 'text') ?? 'error', raw: obj };
  }
  return undefined;
}

/** `{"error": "` (or `{"errorMessage": "`) at the start of a frame: an error frame, whatever follows. */
const BROKEN_ERROR = /^\s*\{\s*"(?:error|errorMessage|error_message)"\s*:\s*/;

/**
 * An error frame that is not valid JSON. ADK 1.x writes `f'data: {{"error": "{e}"}}'`: a quote in the
 * message breaks the JSON, and a newline ends the `data:` line, so the rest of the message arrives as
 * lines without a field name (`stray`, which the SSE spec ignores). Returns the error with its text as
 * sent (the lines joined by a newline, the closing `"}` removed), or undefined for other data.
 */
export function brokenErrorFrame(data: string, stray: readonly string[] = []): FrameEvent | undefined {
  const head = BROKEN_ERROR.exec(data);
  if (!head) return undefined;
  let text = [data.slice(head[0].length), ...stray].join('\n').trim();
  if (text.startsWith('"')) text = text.slice(1).replace(/"\s*\}?\s*$/, '');
  else text = text.replace(/\s*\}\s*$/, '');
  text = text.trim();
  return { type: 'error', message: text || 'the agent failed (an unreadable error frame)', raw: data };
}

function typedEvent(obj: Json, type: string): FrameEvent[] | undefined {
  const name = pickString(obj, 'name', 'tool', 'tool_name') ?? 'tool';
  if (TEXT_TYPES.has(type)) {
    const text = pickString(obj, 'content', 'text', 'delta') ?? '';
    return text ? [{ type: 'text', text, raw: obj }] : [];
  }
  if (TOOL_START.has(type)) {
    return [
      {
        type: 'toolCall',
        name,
        args: obj.args ?? obj.arguments ?? obj.input ?? {},
        id: pickString(obj, 'id'),
        raw: obj,
      },
    ];
  }
  if (TOOL_END.has(type)) {
    return [
      {
        type: 'toolResult',
        name,
        response: obj.result ?? obj.response ?? obj.output,
        id: pickString(obj, 'id'),
        raw: obj,
      },
    ];
  }
  return undefined;
}

const APOLOGY_RE = /I encountered a temporary issue/i;

/**
 * Partial-vs-final dedupe (§12.6) and trailing-apology flagging (§12.8) across a stream.
 * Feed frame events in order; it returns the events to yield.
 */
export class ChatEventShaper {
  private readonly partialAuthors = new Set<string>();
  private substantive = 0;
  textSeen = false;
  toolCalls = 0;

  shape(event: FrameEvent): FrameEvent {
    if (event.type === 'text') {
      const key = event.author ?? '';
      if (event.partial) {
        this.partialAuthors.add(key);
      } else if (this.partialAuthors.delete(key)) {
        event.replacesPartial = true;
      }
      if (!event.partial && APOLOGY_RE.test(event.text) && this.substantive > 0) event.apology = true;
      if (!event.apology) this.textSeen = true;
    }
    if (event.type === 'toolCall') this.toolCalls += 1;
    if (event.type !== 'heartbeat') this.substantive += 1;
    return event;
  }
}
