import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NemoClient } from '../../src/api/client.js';
import { redact } from '../../src/api/debug-log.js';
import { sendJson, startTestServer, type TestServer } from '../helpers/http.js';

let server: TestServer | undefined;
let c: NemoClient | undefined;
afterEach(async () => {
  await c?.close();
  await server?.close();
});

describe('redact', () => {
  it('hides nmv_usr tokens, bearer values and secret query parameters anywhere', () => {
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
    expect(redact('token nmv_usr_KGdwtlGw3hBDUpV-4_FJf in text')).toBe('token nmv_usr_*** in text');
    expect(redact('https://x/claim?ct=clm_1&token=nmv_usr_a&x=1')).toBe(
      'https://x/claim?ct=***&token=***&x=1',
    );
  });
});

describe('debug log', () => {
  it('one line per request (method, URL, status, ms, retry count) with tokens redacted', async () => {
    let n = 0;
    server = await startTestServer((_req, res) => {
      n += 1;
      if (n === 1) return sendJson(res, 503, { message: 'nmv_usr_leaky in body' }, { 'retry-after-ms': '1' });
      sendJson(res, 200, { code: 0, data: { available: 1 } });
    });
    const lines: string[] = [];
    c = new NemoClient({ baseURL: server.url, token: 'nmv_usr_supersecret', logger: (l) => lines.push(l) });
    await c.credits.get();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^nemo:api GET http:\/\/127\.0\.0\.1:\d+\/api\/credits\/balance\/simple 503 \d+ms retry=0$/,
    );
    expect(lines[1]).toMatch(/ 200 \d+ms retry=1$/);
    expect(lines.join('\n')).not.toContain('supersecret');
  });
  it('logs nothing without a logger (and never writes to stderr itself)', async () => {
    server = await startTestServer((_req, res) => sendJson(res, 200, { available: 1 }));
    const written: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      c = new NemoClient({ baseURL: server.url, token: 'nmv_usr_x' });
      await c.credits.get();
    } finally {
      process.stderr.write = orig;
    }
    expect(written).toEqual([]);
  });
  it('a redirecting download logs the other host without leaking the token', async () => {
    const lines: string[] = [];
    server = await startTestServer((_req, res) => sendJson(res, 404, { error: 'gone' }));
    c = new NemoClient({ baseURL: server.url, token: 'nmv_usr_supersecret', logger: (l) => lines.push(l) });
    await c.render
      .download(`${server.url}/x?token=nmv_usr_supersecret`, join(tmpdir(), `nemo-never-${process.pid}.mp4`)) // a 404: nothing is written
      .catch(() => undefined);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('supersecret');
  });
});
