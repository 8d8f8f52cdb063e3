import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * A multipart/form-data body streamed from disk with an exact Content-Length computed up front.
 * Each call of `body()` re-opens the files, so the body is replayable for retries.
 */

export interface MultipartFile {
  /** Form field name (`files`). */
  field: string;
  path: string;
  size: number;
  contentType: string;
}

export interface MultipartBody {
  boundary: string;
  contentType: string;
  length: number;
  body(onChunk?: (bytes: number) => void): AsyncIterable<Buffer>;
}

const CHUNK_BYTES = 1024 * 1024;

/** The basename, splitting on both `/` and `\` (Windows paths). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || 'file';
}

/** A Content-Disposition value with quotes escaped and `filename*` for non-ASCII names. */
export function contentDisposition(field: string, filename: string): string {
  const quoted = (s: string): string =>
    s
      .replace(/[\r\n]/g, ' ')
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"');
  let value = `form-data; name="${quoted(field)}"`;
  if (/^[\x20-\x7e]*$/.test(filename)) return `${value}; filename="${quoted(filename)}"`;
  const fallback = filename.replace(/[^\x20-\x7e]/g, '_');
  value += `; filename="${quoted(fallback)}"; filename*=UTF-8''${encodeRFC5987(filename)}`;
  return value;
}

function encodeRFC5987(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function buildMultipart(files: MultipartFile[]): MultipartBody {
  const boundary = `----nemo${randomBytes(16).toString('hex')}`;
  const heads = files.map((f, i) =>
    Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
        `Content-Disposition: ${contentDisposition(f.field, baseName(f.path))}\r\n` +
        `Content-Type: ${f.contentType}\r\n\r\n`,
      'utf8',
    ),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const length =
    heads.reduce((n, h) => n + h.length, 0) + files.reduce((n, f) => n + f.size, 0) + tail.length;
  return {
    boundary,
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    async *body(onChunk) {
      for (let i = 0; i < files.length; i++) {
        onChunk?.(heads[i].length);
        yield heads[i];
        const expected = files[i].size;
        let sent = 0;
        for await (const chunk of createReadStream(files[i].path, { highWaterMark: CHUNK_BYTES })) {
          const buf = chunk as Buffer;
          sent += buf.length;
          if (sent > expected) throw new Error(`${files[i].path} grew while it was being uploaded`);
          onChunk?.(buf.length);
          yield buf;
        }
        if (sent !== expected) throw new Error(`${files[i].path} changed size while it was being uploaded`);
      }
      onChunk?.(tail.length);
      yield tail;
    },
  };
}
