import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * SSE framing with bounded memory: eventsource-parser v3 does the spec work; an event larger than
 * `maxEventChars` makes the parser stop buffering (its `maxBufferSize`), and the rest of that event is
 * skipped up to its terminating blank line, after which parsing resumes.
 */

export interface SseSink {
  onMessage(message: EventSourceMessage): void;
  onComment(comment: string): void;
  onDropped(reason: string): void;
}

export class BoundedSseReader {
  private readonly parser;
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

  feed(chunk: string): void {
    let rest = chunk;
    while (rest !== '') {
      if (this.skipping) {
        const end = this.findBlankLine(rest);
        if (end < 0) return;
        this.skipping = false;
        this.parser.reset();
        rest = rest.slice(end);
        continue;
      }
      this.parser.feed(rest);
      if (!this.overflowed) return;
      this.overflowed = false;
      this.sink.onDropped(`SSE event larger than ${this.maxEventChars} characters dropped`);
      this.skipping = true;
      // Line state at the end of the chunk the parser just consumed.
      const last = rest.charCodeAt(rest.length - 1);
      this.lineEmpty = last === 10 || last === 13;
      this.lastCR = last === 13;
      return;
    }
  }

  /** Index just after the blank line that ends the skipped event, or -1. */
  private findBlankLine(text: string): number {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.lastCR) {
        this.lastCR = false;
        continue;
      }
      if (c === 10 || c === 13) {
        this.lastCR = c === 13;
        if (this.lineEmpty) {
          this.lineEmpty = true;
          return i + 1;
        }
        this.lineEmpty = true;
      } else {
        this.lineEmpty = false;
        this.lastCR = false;
      }
    }
    return -1;
  }
}
