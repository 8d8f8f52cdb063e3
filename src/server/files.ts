import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { envelopeError } from './http.js';
import { mimeOf } from './media-types.js';

export interface ServeFileOptions {
  /** `download-cut` fault: send half of the response's bytes (full Content-Length), then drop the socket. */
  cut?: boolean;
  /** Sets Content-Disposition: attachment with this name. */
  downloadName?: string;
}

/** Parses one `bytes=a-b` / `bytes=a-` / `bytes=-n` range; null = not satisfiable; undefined = ignore. */
function parseRange(header: string, size: number): { start: number; end: number } | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multi-range or malformed: send the whole file
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

/** Serves a file with Content-Length, ETag, Accept-Ranges and single-range `Range` (206/416) support. */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  opts: ServeFileOptions = {},
): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw envelopeError(404, 404, 'File not found');
  const size = st.size;
  const etag = `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    'Content-Type': mimeOf(extname(path).slice(1)),
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': st.mtime.toUTCString(),
  };
  if (opts.downloadName) headers['Content-Disposition'] = `attachment; filename="${opts.downloadName}"`;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  const honourRange = rangeHeader && (!ifRange || ifRange === etag || ifRange === headers['Last-Modified']);
  const range = honourRange ? parseRange(rangeHeader, size) : undefined;
  if (range === null) {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  headers['Content-Length'] = length;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const sendBytes = opts.cut ? Math.max(1, Math.floor(length / 2)) : length;
  const stream = createReadStream(path, { start, end: start + sendBytes - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (res.destroyed) {
      stream.destroy();
      return;
    }
    if (!res.write(chunk)) await drained(res);
  }
  if (!opts.cut) {
    res.end();
    return;
  }
  // Let the written half reach the socket, then drop the connection with the response incomplete.
  await new Promise<void>((resolve) => res.write('', () => resolve()));
  res.destroy();
}

/** Waits for 'drain' or 'close', whichever comes first, and removes the other listener (no listener pile-up). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
