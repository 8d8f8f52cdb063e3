import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * SSE framing with bounded memory: eventsource-parser v3 does the spec work on decoded text; an event
 * larger than `maxEventChars` makes the parser stop buffering (its `maxBufferSize`), and the rest of
 * that event is skipped as raw bytes (no decoding) up to its terminating blank line, after which
 * parsing resumes with a fresh decoder.
 */

export interface SseSink {
  /**
   * One event. `stray` holds the lines of the stream since the previous event that were not SSE
   * fields (no `data:`/`event:`/`id:`/`retry:` and not a comment), e.g. the rest of a message whose
   * newline broke it (ADK 1.x writes its error frame with an f-string). They are not data by the
   * spec; a consumer may use them to repair a frame that does not parse.
   */
  onMessage(message: EventSourceMessage, stray: string[]): void;
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
  private stray: string[] = [];
  private strayChars = 0;

  constructor(
    private readonly sink: SseSink,
    private readonly maxEventChars: number,
  ) {
    this.parser = createParser({
      onEvent: (m) => {
        // A whole oversized event can arrive inside one chunk without tripping maxBufferSize.
        const stray = this.stray;
        this.stray = [];
        this.strayChars = 0;
        if (m.data.length > maxEventChars) sink.onDropped(`SSE event of ${m.data.length} characters dropped`);
        else sink.onMessage(m, stray);
      },
      onComment: (c) => sink.onComment(c),
      onError: (err) => {
        if (err.type === 'max-buffer-size-exceeded') this.overflowed = true;
        else if (err.type === 'unknown-field' && err.line !== undefined) this.keepStray(err.line);
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
      this.stray = [];
      this.strayChars = 0;
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

  /** Kept within the event size bound; the oldest lines go first. */
  private keepStray(line: string): void {
    this.stray.push(line);
    this.strayChars += line.length;
    while (this.strayChars > this.maxEventChars && this.stray.length > 0)
      this.strayChars -= this.stray.shift()!.length;
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
