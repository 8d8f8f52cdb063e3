import { describe, expect, it } from 'vitest';
import type { NemoClientOptions } from '../../src/api/client.js';
import {
  AbortError,
  ApiError,
  AuthError,
  ConnectionError,
  LocalInputError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/api/errors.js';
import { retryAfterMs, retryDelayMs, shouldRetryStatus } from '../../src/api/retry.js';
import { clientVersion, resolveBaseURL } from '../../src/api/transport.js';
import { loopback, sendJson, startConnectProxy } from '../helpers/http.js';

const TOKEN = 'nmv_usr_testtoken123';
const { serve, client: make } = loopback();

const client = (url: string, extra: NemoClientOptions = {}) => make(url, { token: TOKEN, ...extra });

describe('base URL', () => {
  it('option > NEMO_API_URL > production default', () => {
    expect(resolveBaseURL('http://a.test/').href).toBe('http://a.test/');
    expect(resolveBaseURL(undefined, { NEMO_API_URL: 'https://b.test' }).origin).toBe('https://b.test');
    expect(resolveBaseURL(undefined, {}).origin).toBe('https://mega-api-prod.nemovideo.ai');
  });
  it('rejects other schemes and junk with a LocalInputError carrying the fix', () => {
    for (const bad of ['ftp://x.test', 'file:///etc', 'not a url']) {
      const err = (() => {
        try {
          resolveBaseURL(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(LocalInputError);
      // the api states the fact; the CLI words the flag (handle-error: bad_api_url)
      expect((err as LocalInputError).code).toBe('bad_api_url');
      expect((err as LocalInputError).fix).toMatch(/http\(s\) URL/);
    }
  });
});

describe('headers', () => {
  it('sends attribution headers and the bearer token on every request', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 200, { code: 0, data: { available: 5, frozen: 0, total: 5 } }),
    );
    await client(s.url, { platform: 'ci' }).credits.get();
    const h = s.requests[0].headers;
    expect(h['x-skill-source']).toBe('nemo-cli');
    expect(h['x-skill-version']).toBe(clientVersion());
    expect(clientVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(h['x-skill-platform']).toBe('ci');
    expect(h.authorization).toBe(`Bearer ${TOKEN}`);
    expect(h.accept).toBe('application/json');
  });
  it('X-Skill-Platform defaults to SKILL_SOURCE, else unknown', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, { available: 1 }));
    const saved = process.env.SKILL_SOURCE;
    try {
      process.env.SKILL_SOURCE = 'clawhub';
      await client(s.url).credits.get();
      delete process.env.SKILL_SOURCE;
      await client(s.url).credits.get();
    } finally {
      if (saved === undefined) delete process.env.SKILL_SOURCE;
      else process.env.SKILL_SOURCE = saved;
    }
    expect(s.requests.map((r) => r.headers['x-skill-platform'])).toEqual(['clawhub', 'unknown']);
  });
});

describe('errors over real HTTP', () => {
  it('an HTML 503 becomes a ServerError naming the status, without HTML', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    });
    const err = await client(s.url, { maxRetries: 0 })
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.message).toContain('HTTP 503 Service Unavailable');
    expect(err.message).not.toContain('<');
  });
  it('a body code with HTTP 200 raises the typed error, with the request id', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 200, { code: 1001, message: 'Token expired' }, { 'x-request-id': 'rid-42' }),
    );
    const err = await client(s.url)
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.requestId).toBe('rid-42');
    expect(s.requests).toHaveLength(1);
  });
  it('connection refused → ConnectionError after retries', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, {}));
    const url = s.url;
    await s.close();
    const err = await client(url, { maxRetries: 1 })
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.hint).toBeTruthy();
  });
  it('a slow server → TimeoutError; an aborted signal → AbortError', async () => {
    const s = await serve(() => undefined);
    const err = await client(s.url, { maxRetries: 0, timeoutMs: 150 })
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    const ctl = new AbortController();
    const pending = client(s.url, { maxRetries: 0 })
      .credits.get(ctl.signal)
      .catch((e) => e);
    setTimeout(() => ctl.abort(), 50);
    expect(await pending).toBeInstanceOf(AbortError);
  });
});

describe('retry policy', () => {
  it('retries a 429 with Retry-After 0.1 s, then succeeds', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n += 1;
      if (n === 1)
        return sendJson(res, 429, { code: 429, message: 'Rate limited' }, { 'retry-after': '0.1' });
      sendJson(res, 200, { code: 0, data: { available: 7 } });
    });
    const credits = await client(s.url).credits.get();
    expect(credits.available).toBe(7);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].headers['x-nemo-retry-count']).toBe('1');
    expect(s.requests[1].headers['x-stainless-retry-count']).toBeUndefined();
  });
  it('x-should-retry: false wins over a retryable status', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 503, { message: 'no' }, { 'x-should-retry': 'false' }),
    );
    const err = await client(s.url)
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(s.requests).toHaveLength(1);
  });
  it('x-should-retry: true retries a 400', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n += 1;
      if (n === 1)
        return sendJson(res, 400, { message: 'x' }, { 'x-should-retry': 'true', 'retry-after-ms': '10' });
      sendJson(res, 200, { available: 1 });
    });
    await client(s.url).credits.get();
    expect(s.requests).toHaveLength(2);
  });
  it('stops after maxRetries and keeps retryAfterMs on the RateLimitError', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 429, { code: 429, message: 'Rate limited' }, { 'retry-after-ms': '20' }),
    );
    const err = await client(s.url, { maxRetries: 2 })
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(20);
    expect(s.requests).toHaveLength(3);
  });
  it('does not retry other 4xx', async () => {
    const s = await serve((_req, res) => sendJson(res, 400, { code: 400, message: 'bad' }));
    const err = await client(s.url)
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(s.requests).toHaveLength(1);
  });
  it('never retries a /run_sse POST', async () => {
    const s = await serve((_req, res) => sendJson(res, 503, { message: 'busy' }));
    const events = client(s.url).chat.send('123', 'hello');
    const err = await (async () => {
      for await (const _ of events) {
        // no events expected
      }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(s.requests).toHaveLength(1);
  });
  it('status table, hint parsing and backoff', () => {
    for (const status of [408, 409, 429, 500, 502, 503]) expect(shouldRetryStatus(status, {})).toBe(true);
    for (const status of [400, 401, 402, 403, 404, 422]) expect(shouldRetryStatus(status, {})).toBe(false);
    expect(retryAfterMs({ 'retry-after-ms': '250' })).toBe(250);
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryDelayMs(0, 100)).toBe(100);
    expect(retryDelayMs(0, 120_000, () => 0)).toBe(500); // hints over 60 s are ignored
    expect(retryDelayMs(1, undefined, () => 0)).toBe(1000);
    expect(retryDelayMs(10, undefined, () => 0)).toBe(8000);
    expect(retryDelayMs(10, undefined, () => 1)).toBe(6000); // 25 % jitter subtracted
  });
});

describe('proxy', () => {
  const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
  async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
    const saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
    for (const k of PROXY_VARS) delete process.env[k];
    Object.assign(process.env, vars);
    try {
      await fn();
    } finally {
      for (const k of PROXY_VARS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  }
  it('HTTP_PROXY routes requests through the proxy; NO_PROXY bypasses it', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, { available: 3 }));
    const proxy = await startConnectProxy();
    try {
      await withEnv({ HTTP_PROXY: proxy.url }, async () => {
        expect((await client(s.url).credits.get()).available).toBe(3);
      });
      expect(proxy.connects).toEqual([`127.0.0.1:${s.port}`]);
      await withEnv({ http_proxy: proxy.url, NO_PROXY: '127.0.0.1' }, async () => {
        await client(s.url).credits.get();
      });
      expect(proxy.connects).toHaveLength(1);
      expect(s.requests).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('user path fallback (§12.10)', () => {
  it('a 404/1002 on a `me` path is retried once with the real user id', async () => {
    const s = await serve((req, res, rec) => {
      if (rec.url === '/api/auth/anonymous-token') {
        return sendJson(res, 200, { code: 0, data: { token: 'nmv_usr_a', user_id: 'anon_u1' } });
      }
      if (rec.url.includes('/me/') || rec.body.includes('"user_id":"me"')) {
        return sendJson(res, 404, { code: 1002, message: 'Session not found' });
      }
      if (rec.url === '/run_sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"text":"hi"}\n\n');
        return;
      }
      sendJson(res, 200, { code: 0, data: { state: { draft: { t: [] } } } });
      void req;
    });
    const c = make(s.url, { token: undefined, clientId: 'cid' });
    const st = await c.state.get('42');
    expect(st.state.draft).toEqual({ t: [] });
    const events = [];
    for await (const e of c.chat.send('42', 'hello')) events.push(e.type);
    expect(events).toEqual(['text', 'done']);
    expect(s.requests.map((r) => r.url)).toEqual([
      '/api/auth/anonymous-token',
      '/api/state/nemo_agent/me/42/latest',
      '/api/state/nemo_agent/anon_u1/42/latest',
      '/run_sse',
      '/run_sse',
    ]);
    expect(JSON.parse(s.requests[4].body.toString()).user_id).toBe('anon_u1');
  });
  it('without a known user id the SessionNotFoundError surfaces after one request', async () => {
    const s = await serve((_req, res) => sendJson(res, 404, { code: 1002, message: 'Session not found' }));
    await expect(client(s.url).state.get('42')).rejects.toThrow(/Session not found/);
    expect(s.requests).toHaveLength(1);
  });
});
