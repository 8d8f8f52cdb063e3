import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

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
/**
 * Read buffers are recycled: undici writes each ≥ 16 KiB chunk and waits for the socket's 'drain'
 * before it asks for the next one, so a buffer is free again two chunks later. Recycling keeps RSS flat
 * (fresh 1 MiB buffers per read pile up as external memory until V8 gets round to collecting them).
 */
const POOL_SIZE = 3;

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
        yield* readChunks(files[i], onChunk);
      }
      onChunk?.(tail.length);
      yield tail;
    },
  };
}

async function* readChunks(file: MultipartFile, onChunk?: (bytes: number) => void): AsyncIterable<Buffer> {
  const handle = await open(file.path, 'r');
  try {
    const pool = Array.from({ length: POOL_SIZE }, () => Buffer.allocUnsafe(CHUNK_BYTES));
    let position = 0;
    for (let n = 0; ; n++) {
      const buf = pool[n % POOL_SIZE];
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      if (position > file.size) throw new Error(`${file.path} grew while it was being uploaded`);
      onChunk?.(bytesRead);
      yield buf.subarray(0, bytesRead);
    }
    if (position !== file.size) throw new Error(`${file.path} changed size while it was being uploaded`);
  } finally {
    await handle.close();
  }
}
