import type { ServerResponse } from 'node:http';
import { alnum } from './ids.js';
import type { ResolvedOptions } from './options.js';

const AUTHOR = 'nemo_agent';

/** What one written frame was, for `/_nemo/stats` `sseWrites` (the benchmark's server-side clock). */
export interface SseWrite {
  kind: 'text' | 'toolCall' | 'toolResult' | 'heartbeat' | 'error';
  text?: string;
  name?: string;
}

/**
 * Writes one /run_sse reply as Server-Sent Events, in the ADK Event shape (protocol §5.3) or the
 * type-tagged shape (§4.4). Each event is one `data:` line and a blank line; the stream ends by closing.
 */
export class SseWriter {
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: Pick<ResolvedOptions, 'sseShape' | 'heartbeatForm'>,
    readonly invocationId: string,
    /** Called right after each event or heartbeat frame was handed to the socket. */
    private readonly onWrite: (w: SseWrite) => void = () => undefined,
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
  }

  /** The client went away (or the socket was dropped on purpose). */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Writes raw SSE text (used for the `sse-garbage` fault). */
  raw(text: string): void {
    if (!this.closed) this.res.write(text);
  }

  private event(payload: unknown, write?: SseWrite): void {
    if (this.closed) return;
    this.res.write(`data: ${JSON.stringify(payload)}\n\n`);
    if (write) this.onWrite(write);
  }

  /** One event in the configured shape: `typed` as given, or an ADK Event around `parts`. */
  private emit(
    write: SseWrite | undefined,
    typed: Record<string, unknown>,
    adk: { role: 'model' | 'user'; parts: unknown[]; stateDelta?: Record<string, unknown>; extra?: object },
  ): void {
    if (this.opts.sseShape === 'typed') {
      this.event(typed, write);
      return;
    }
    this.event(
      {
        content: { parts: adk.parts, role: adk.role },
        invocationId: this.invocationId,
        author: AUTHOR,
        actions: { stateDelta: adk.stateDelta ?? {}, artifactDelta: {}, requestedAuthConfigs: {} },
        ...adk.extra,
        id: alnum(8),
        timestamp: Date.now() / 1000,
      },
      write,
    );
  }

  text(text: string): void {
    this.emit({ kind: 'text', text }, { type: 'text', content: text }, { role: 'model', parts: [{ text }] });
  }

  toolCall(id: string, name: string, args: Record<string, unknown>): void {
    this.emit(
      { kind: 'toolCall', name },
      { type: 'tool_call', id, name, args },
      { role: 'model', parts: [{ functionCall: { id, name, args } }], extra: { longRunningToolIds: [] } },
    );
  }

  toolResult(
    id: string,
    name: string,
    response: Record<string, unknown>,
    stateDelta?: Record<string, unknown>,
  ): void {
    this.emit(
      { kind: 'toolResult', name },
      { type: 'tool_result', id, name, result: response },
      { role: 'user', parts: [{ functionResponse: { id, name, response } }], stateDelta },
    );
  }

  /** A stream-level error frame (ADK: `{"error": …}`), then the caller ends the stream. */
  error(message: string): void {
    const write: SseWrite = { kind: 'error', text: message };
    if (this.opts.sseShape === 'typed') this.event({ type: 'error', error: message }, write);
    else this.event({ error: message }, write);
  }

  /** An event with no content and a large metadata field (the `sse-garbage` fault's 10 MB event). */
  bulk(bytes: number): void {
    const padding = 'x'.repeat(bytes);
    this.emit(
      undefined,
      { type: 'metadata', padding },
      { role: 'model', parts: [], extra: { customMetadata: { padding } } },
    );
  }

  heartbeatOnce(): void {
    if (this.closed) return;
    const form = this.opts.heartbeatForm;
    this.res.write(
      form === 'comment' ? ': ping\n\n' : form === 'empty' ? 'data:\n\n' : 'data: {"type":"heartbeat"}\n\n',
    );
    this.onWrite({ kind: 'heartbeat' });
  }

  /** Heartbeats every `ms` until stopHeartbeats() or the end of the stream. */
  startHeartbeats(ms: number): void {
    this.stopHeartbeats();
    if (ms > 0) this.heartbeat = setInterval(() => this.heartbeatOnce(), ms);
  }

  stopHeartbeats(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  end(): void {
    this.stopHeartbeats();
    if (!this.closed) this.res.end();
  }

  /** Drops the connection without a clean end (the `sse-drop` fault), after what was written is sent. */
  async destroy(): Promise<void> {
    this.stopHeartbeats();
    if (!this.closed) await new Promise<void>((resolve) => this.res.write('', () => resolve()));
    this.res.destroy();
  }
}
