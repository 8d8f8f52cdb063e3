/**
 * An incremental multipart/form-data parser (RFC 7578): bytes go in as they arrive, part data comes out
 * as it is found. Boundaries may straddle chunks; at most one delimiter's length of bytes is held back.
 */

export interface PartHeaders {
  /** The form field name (`files`). */
  name: string;
  /** The file name as the client sent it (not sanitized). */
  filename?: string;
  contentType?: string;
}

export interface PartHandler {
  onPartStart(headers: PartHeaders): void | Promise<void>;
  onPartData(chunk: Buffer): void | Promise<void>;
  onPartEnd(): void | Promise<void>;
}

export class MultipartError extends Error {}

const MAX_HEADER_BYTES = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data; boundary=…` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 70 ? b : undefined;
}

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';

export class MultipartParser {
  private readonly delimiter: Buffer;
  /** The stream is read as if it began with CRLF, so the first delimiter needs no special case. */
  private buf: Buffer = Buffer.from('\r\n');
  private state: State = 'preamble';

  constructor(
    boundary: string,
    private readonly handler: PartHandler,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.state === 'done') return; // epilogue: ignored
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const progressed = await this.step();
      if (!progressed) return;
    }
  }

  /** Call at the end of the body: a body without its closing delimiter is an error. */
  end(): void {
    if (this.state !== 'done') throw new MultipartError('multipart body ended before its closing boundary');
  }

  /** One state transition; false when more bytes are needed. */
  private async step(): Promise<boolean> {
    switch (this.state) {
      case 'preamble': {
        const i = this.buf.indexOf(this.delimiter);
        if (i < 0) {
          this.keepTail();
          return false;
        }
        this.buf = this.buf.subarray(i + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        let i = 0;
        while (i < this.buf.length && (this.buf[i] === 0x20 || this.buf[i] === 0x09)) i++; // transport padding
        if (this.buf.length < i + 2) return false;
        const two = this.buf.toString('latin1', i, i + 2);
        if (two === '--') {
          this.state = 'done';
          this.buf = Buffer.alloc(0);
          return false;
        }
        if (two !== '\r\n') throw new MultipartError('malformed multipart delimiter');
        this.buf = this.buf.subarray(i + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const i = this.buf.indexOf(CRLFCRLF);
        if (i < 0) {
          if (this.buf.length > MAX_HEADER_BYTES)
            throw new MultipartError('multipart part headers too large');
          return false;
        }
        const headers = parsePartHeaders(this.buf.toString('utf8', 0, i));
        this.buf = this.buf.subarray(i + 4);
        this.state = 'body';
        await this.handler.onPartStart(headers);
        return true;
      }
      case 'body': {
        const i = this.buf.indexOf(this.delimiter);
        if (i < 0) {
          const keep = Math.min(this.buf.length, this.delimiter.length - 1);
          const out = this.buf.subarray(0, this.buf.length - keep);
          this.buf = this.buf.subarray(this.buf.length - keep);
          if (out.length) await this.handler.onPartData(out);
          return false;
        }
        if (i > 0) await this.handler.onPartData(this.buf.subarray(0, i));
        this.buf = this.buf.subarray(i + this.delimiter.length);
        await this.handler.onPartEnd();
        this.state = 'after-delimiter';
        return true;
      }
      default:
        return false;
    }
  }

  /** Keeps only the bytes that could still be the start of a delimiter. */
  private keepTail(): void {
    const keep = Math.min(this.buf.length, this.delimiter.length - 1);
    this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
  }
}

function parsePartHeaders(block: string): PartHeaders {
  let disposition = '';
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  if (!/^form-data\b/i.test(disposition))
    throw new MultipartError('multipart part without form-data disposition');
  const name = dispositionParam(disposition, 'name');
  if (name === undefined) throw new MultipartError('multipart part without a name');
  return { name, filename: dispositionParam(disposition, 'filename'), contentType };
}

/** `name="x"` / `name=x` / RFC 5987 `filename*=UTF-8''x` from a Content-Disposition value. */
function dispositionParam(value: string, key: string): string | undefined {
  const extended = new RegExp(`;\\s*${key}\\*=(?:UTF-8|utf-8)''([^;]*)`).exec(value);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      throw new MultipartError(`bad ${key}* encoding`);
    }
  }
  const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`).exec(value);
  if (!m) return undefined;
  // Only \" and \\ are escapes: browsers send other backslashes literally (old ones sent Windows paths).
  return m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : m[2]!.trim();
}
