import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * SSE framing with bounded memory: eventsource-parser v3 does the spec work on decoded text; an event
 * larger than `maxEventChars` makes the parser stop buffering (its `maxBufferSize`), and the rest of
 * that event is skipped as raw bytes (no decoding) up to its terminating blank line, after which
 * parsing resumes with a fresh decoder.
 */

export interface SseSink {
  onMessage(message: EventSourceMessage): void;
  onComment(comment: string): void;
  onDropped(reason: string): void;
}

const LF = 10;
const CR = 13;

export class BoundedSseReader {
  private readonly parser;
  private decoder = new TextDecoder();
  private overflowed = false;
  private skipping = false;
  private lineEmpty = true;
  private lastCR = false;

  constructor(
    private readonly sink: SseSink,
    private readonly maxEventChars: number,
  ) {
    this.parser = createParser({
      onEvent: (m) => {
        // A whole oversized event can arrive inside one chunk without tripping maxBufferSize.
        if (m.data.length > maxEventChars) sink.onDropped(`SSE event of ${m.data.length} characters dropped`);
        else sink.onMessage(m);
      },
      onComment: (c) => sink.onComment(c),
      onError: (err) => {
        if (err.type === 'max-buffer-size-exceeded') this.overflowed = true;
      },
      maxBufferSize: maxEventChars,
    });
  }

  /** Feed raw bytes (UTF-8) or already decoded text. */
  feed(chunk: Uint8Array | string): void {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.skipping) {
      const end = this.findBlankLine(bytes);
      if (end < 0) return;
      this.skipping = false;
      this.parser.reset();
      this.decoder = new TextDecoder();
      bytes = bytes.subarray(end);
    }
    if (bytes.length === 0) return;
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
    if (!this.overflowed) return;
    this.overflowed = false;
    this.sink.onDropped(`SSE event larger than ${this.maxEventChars} characters dropped`);
    this.skipping = true;
    // Line state at the end of the bytes the parser just consumed.
    const last = bytes[bytes.length - 1];
    this.lineEmpty = last === LF || last === CR;
    this.lastCR = last === CR;
  }

  /** End of stream: flush the decoder and any event without its final blank line. */
  end(): void {
    if (this.skipping) return;
    this.parser.feed(`${this.decoder.decode()}\n\n`);
  }

  /** Index just after the blank line that ends the skipped event, or -1. */
  private findBlankLine(bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === LF && this.lastCR) {
        this.lastCR = false;
        continue;
      }
      if (c === LF || c === CR) {
        this.lastCR = c === CR;
        if (this.lineEmpty) return i + 1;
        this.lineEmpty = true;
      } else {
        this.lineEmpty = false;
        this.lastCR = false;
      }
    }
    return -1;
  }
}
