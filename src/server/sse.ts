import type { ServerResponse } from 'node:http';
import { alnum } from './ids.js';
import type { ResolvedOptions } from './options.js';

const AUTHOR = 'nemo_agent';

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

  private event(payload: unknown): void {
    this.raw(`data: ${JSON.stringify(payload)}\n\n`);
  }

  private adk(
    role: 'model' | 'user',
    parts: unknown[],
    stateDelta: Record<string, unknown> = {},
    extra = {},
  ) {
    this.event({
      content: { parts, role },
      invocationId: this.invocationId,
      author: AUTHOR,
      actions: { stateDelta, artifactDelta: {}, requestedAuthConfigs: {} },
      ...extra,
      id: alnum(8),
      timestamp: Date.now() / 1000,
    });
  }

  text(text: string): void {
    if (this.opts.sseShape === 'typed') this.event({ type: 'text', content: text });
    else this.adk('model', [{ text }]);
  }

  toolCall(id: string, name: string, args: Record<string, unknown>): void {
    if (this.opts.sseShape === 'typed') this.event({ type: 'tool_call', id, name, args });
    else this.adk('model', [{ functionCall: { id, name, args } }], {}, { longRunningToolIds: [] });
  }

  toolResult(
    id: string,
    name: string,
    response: Record<string, unknown>,
    stateDelta?: Record<string, unknown>,
  ) {
    if (this.opts.sseShape === 'typed') this.event({ type: 'tool_result', id, name, result: response });
    else this.adk('user', [{ functionResponse: { id, name, response } }], stateDelta);
  }

  /** A stream-level error frame (ADK: `{"error": …}`), then the caller ends the stream. */
  error(message: string): void {
    if (this.opts.sseShape === 'typed') this.event({ type: 'error', error: message });
    else this.event({ error: message });
  }

  /** An event with no content and a large metadata field (the `sse-garbage` fault's 10 MB event). */
  bulk(bytes: number): void {
    const padding = 'x'.repeat(bytes);
    if (this.opts.sseShape === 'typed') this.event({ type: 'metadata', padding });
    else this.adk('model', [], {}, { customMetadata: { padding } });
  }

  heartbeatOnce(): void {
    const form = this.opts.heartbeatForm;
    this.raw(
      form === 'comment' ? ': ping\n\n' : form === 'empty' ? 'data:\n\n' : 'data: {"type":"heartbeat"}\n\n',
    );
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
