import type { ServerResponse } from 'node:http';
import { request } from 'node:http';
import { type RecordedRequest, startTestServer, type TestServer } from '../helpers/http.js';

export interface ProxyHooks {
  /** Answer a request here instead of forwarding it; return true when answered. */
  answer?: (rec: RecordedRequest, res: ServerResponse) => boolean | Promise<boolean>;
  /** Rewrite the text of a forwarded JSON answer. */
  mapJson?: (rec: RecordedRequest, text: string) => string;
}

/**
 * A real HTTP reverse proxy in front of `nemo serve` (127.0.0.1, port 0) that can answer or rewrite
 * chosen requests: server misbehaviour the fault knobs cannot produce. Everything else (SSE, media,
 * uploads) passes through byte for byte. `requests` records what the CLI sent.
 */
export function startProxy(target: string, hooks: ProxyHooks = {}): Promise<TestServer> {
  return startTestServer(async (req, res, rec) => {
    if (await hooks.answer?.(rec, res)) return;
    const upstream = new URL(rec.url, target);
    await new Promise<void>((resolve, reject) => {
      const out = request(
        upstream,
        { method: rec.method, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          up.on('error', reject);
          const status = up.statusCode ?? 502;
          if (!hooks.mapJson || !/json/i.test(String(up.headers['content-type'] ?? ''))) {
            res.writeHead(status, up.headers);
            up.pipe(res).on('finish', resolve);
            return;
          }
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const text = hooks.mapJson!(rec, Buffer.concat(chunks).toString('utf8'));
            const { 'content-length': _l, 'transfer-encoding': _t, ...headers } = up.headers;
            res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
            res.end(text, resolve);
          });
        },
      );
      out.on('error', reject);
      out.end(rec.body);
    });
  });
}
