import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultFlag, type RunningServer, startServer } from '../../src/server/index.js';
import { makeClip, tempDir } from '../helpers/media.js';
import {
  adminCall,
  CLIP,
  call,
  chat,
  multipartBody,
  newSession,
  newToken,
  readUntilDropped,
  texts,
  uploadFiles,
  waitRender,
} from './fixtures.js';

let server: RunningServer;
let base: string;
let dir: string;
let clip: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  clip = await makeClip(join(dir, 'clip.mp4'), CLIP);
  server = await startServer({ heartbeatMs: 20, dataDir: join(dir, 'data'), admin: true });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});
afterEach(() => server.faults.clear());

/** A token, a session with the clip uploaded, and its draft. */
async function ready() {
  const clientId = randomUUID();
  const token = await newToken(base, clientId);
  const sid = await newSession(base, token);
  const up = await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);
  expect(up.status).toBe(200);
  const state = async () =>
    (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data.state;
  return { clientId, token, sid, state, draft: (await state()).draft };
}

async function submitRender(token: string, sid: string, draft: unknown): Promise<string> {
  const id = `render_${randomUUID()}`;
  const r = await call(base, 'POST', '/api/render/proxy/lambda', {
    token,
    json: { id, sessionId: sid, draft },
  });
  expect(r.status).toBe(200);
  return id;
}

describe('fault specs', () => {
  it('parses the CLI flag form and refuses unknown names and parameters', () => {
    expect(parseFaultFlag('rate-limit:path=/api/state,times=2,retryAfterS=3')).toEqual({
      name: 'rate-limit',
      path: '/api/state',
      times: 2,
      retryAfterS: 3,
    });
    expect(parseFaultFlag('html-503:times=-1')).toEqual({ name: 'html-503', times: -1 });
    expect(parseFaultFlag('expire-token:after=upload')).toEqual({ name: 'expire-token', after: 'upload' });
    expect(() => parseFaultFlag('explode')).toThrow(/unknown fault "explode"/);
    expect(() => parseFaultFlag('rate-limit:color=red')).toThrow(/unknown parameter "color"/);
    expect(() => parseFaultFlag('rate-limit:times=x')).toThrow(/times must be/);
    expect(() => parseFaultFlag('rate-limit:times=0')).toThrow(/times must be/);
  });

  it('are managed at run time through /_nemo/faults (admin secret)', async () => {
    const add = await adminCall(server, 'POST', '/_nemo/faults', {
      json: [{ name: 'html-503', path: '/api/credits', times: 2 }, { name: 'render-fail' }],
    });
    expect(add.status).toBe(200);
    expect(add.json.faults).toHaveLength(2);
    expect(server.faults.list()[0]).toEqual({ name: 'html-503', path: '/api/credits', times: 2 });
    const bad = await adminCall(server, 'POST', '/_nemo/faults', {
      json: [{ name: 'render-fail' }, { name: 'nope' }],
    });
    expect(bad.status).toBe(400);
    expect(server.faults.list()).toHaveLength(2); // all or nothing
    const cleared = await adminCall(server, 'DELETE', '/_nemo/faults');
    expect(cleared.json.faults).toEqual([]);
  });
});

describe('each fault, in raw HTTP', () => {
  it('expire-token after upload: 401 "Token expired", token revoked, a new token for the same client', async () => {
    server.faults.add({ name: 'expire-token', after: 'upload' });
    const clientId = randomUUID();
    const token = await newToken(base, clientId);
    const sid = await newSession(base, token);
    expect((await call(base, 'GET', '/api/credits/balance/simple', { token })).status).toBe(200); // not armed yet
    expect((await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }])).status).toBe(200);
    const expired = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ code: 1001, message: 'Token expired' });
    const again = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(again.json).toEqual({ code: 1001, message: 'Invalid or expired token' });
    const renewed = await call(base, 'POST', '/api/auth/anonymous-token', {
      headers: { 'x-client-id': clientId },
    });
    expect(renewed.status).toBe(200);
    const fresh = renewed.json.data.token;
    const state = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token: fresh });
    expect(state.status).toBe(200); // same user: the session is still theirs
    expect(renewed.json.data.credits).toBe(100);
  });

  it('lose-session: 404 1002 on /run_sse and the session is gone', async () => {
    const { token, sid } = await ready();
    server.faults.add({ name: 'lose-session' });
    const r = await chat(base, token, sid, 'cut the first 1 second');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.raw)).toEqual({ code: 1002, message: 'Session not found' });
    const state = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
    expect(state.json.code).toBe(1002);
  });

  it('rate-limit on a path prefix: 429 with Retry-After, then normal', async () => {
    const { token, sid } = await ready();
    server.faults.add(parseFaultFlag('rate-limit:path=/api/state,times=2,retryAfterS=3'));
    const credits = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(credits.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('3');
      expect(r.json).toEqual({ code: 429, message: 'Rate limited' });
    }
    const ok = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
    expect(ok.status).toBe(200);
  });

  it('html-503: a 503 with an HTML body', async () => {
    const token = await newToken(base);
    server.faults.add({ name: 'html-503', path: '/api/credits' });
    const r = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(r.status).toBe(503);
    expect(r.headers['content-type']).toBe('text/html');
    expect(r.text).toBe('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    expect((await call(base, 'GET', '/api/credits/balance/simple', { token })).status).toBe(200);
  });

  it('sse-drop: the tool call arrives, the socket dies, and the edit is in the state', async () => {
    const { token, sid, state, draft } = await ready();
    server.faults.add({ name: 'sse-drop' });
    const r = await readUntilDropped(`${base}/run_sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sid, new_message: { parts: [{ text: 'cut the first 1 second' }] } }),
    });
    expect(r.status).toBe(200);
    expect(r.error).toBeDefined();
    expect(r.received.toString()).toContain('"functionCall"');
    expect(r.received.toString()).not.toContain('"functionResponse"');
    const after = (await state()).draft;
    expect(after).not.toEqual(draft);
  });

  it('sse-garbage: non-JSON lines, a comment and a 10 MB event inside a normal reply', async () => {
    const { token, sid } = await ready();
    server.faults.add({ name: 'sse-garbage' });
    const r = await chat(base, token, sid, 'cut the first 1 second');
    expect(r.garbage.length).toBeGreaterThanOrEqual(2);
    expect(r.comments).toContain('a comment line');
    expect(Math.max(...r.data.map((d) => d.length))).toBeGreaterThan(10 * 1024 * 1024);
    expect(texts(r.events).at(-1)).toMatch(/^Done: /);
  });

  it('sse-error: the stream ends with an {"error": …} frame', async () => {
    const { token, sid } = await ready();
    server.faults.add({ name: 'sse-error' });
    const r = await chat(base, token, sid, 'cut the first 1 second');
    expect(r.events.at(-1)).toEqual({ error: expect.stringMatching(/sse-error/) });
  });

  it('slow-agent: heartbeats only for a while before the reply', async () => {
    const { token, sid } = await ready();
    server.faults.add({ name: 'slow-agent', ms: 200 });
    const r = await chat(base, token, sid, 'hello');
    const firstEvent = r.raw.indexOf('data:');
    const pings = r.raw.slice(0, firstEvent).match(/^: ping$/gm) ?? [];
    expect(pings.length).toBeGreaterThanOrEqual(2);
  });

  it('render-fail: the job fails with an error message', async () => {
    const { token, sid, draft } = await ready();
    server.faults.add({ name: 'render-fail' });
    const id = await submitRender(token, sid, draft);
    const r = await waitRender(base, token, id);
    expect(r.json.data.status).toBe('failed');
    expect(r.json.data.error).toMatch(/render-fail/);
    expect(r.json.data.outputUrl).toBeUndefined();
  });

  it('slow-render: progress advances through the middle before completion', async () => {
    const { token, sid, draft } = await ready();
    server.faults.add({ name: 'slow-render', ms: 600 });
    const id = await submitRender(token, sid, draft);
    const seen = new Set<number>();
    for (;;) {
      const r = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
      const d = r.json.data;
      seen.add(d.progress);
      if (d.status === 'completed') {
        expect(r.headers['x-poll-after-ms']).toBeUndefined();
        break;
      }
      expect(Number(r.headers['x-poll-after-ms'])).toBeGreaterThanOrEqual(50);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect([...seen].some((p) => p > 0 && p < 100)).toBe(true);
  });

  it('download-cut: half the bytes with the full Content-Length, then a Range resume completes it', async () => {
    const { token, sid, draft } = await ready();
    const id = await submitRender(token, sid, draft);
    const done = await waitRender(base, token, id);
    const url = done.json.data.outputUrl as string;
    const full = await call(base, 'GET', new URL(url).pathname);
    server.faults.add({ name: 'download-cut' });
    const cut = await readUntilDropped(url);
    expect(cut.status).toBe(200);
    expect(Number(cut.headers['content-length'])).toBe(full.body.length);
    expect(cut.error).toBeDefined();
    expect(cut.received.length).toBe(Math.floor(full.body.length / 2));
    const rest = await call(base, 'GET', new URL(url).pathname, {
      headers: { range: `bytes=${cut.received.length}-` },
    });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([cut.received, rest.body]).equals(full.body)).toBe(true);
  });

  it('upload-reset: the socket dies part-way and nothing is stored', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const before = (await adminCall(server, 'GET', '/_nemo/stats')).json.uploadsStored;
    server.faults.add({ name: 'upload-reset' });
    const { body, contentType } = multipartBody([
      { name: 'big.mp4', data: Buffer.alloc(2 * 1024 * 1024, 7) },
    ]);
    await expect(
      call(base, 'POST', `/api/upload-video/nemo_agent/me/${sid}`, {
        token,
        body,
        headers: { 'content-type': contentType },
      }),
    ).rejects.toThrow();
    const stats = (await adminCall(server, 'GET', '/_nemo/stats')).json;
    expect(stats.uploadsStored).toBe(before);
    const state = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state;
    expect(state.video_infos).toEqual([]);
    // The handler removes its partial file right after dropping the socket; give it a moment.
    let left = await readdir(join(dir, 'data', 'uploads', sid));
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      left = await readdir(join(dir, 'data', 'uploads', sid));
    }
    expect(left).toEqual([]);
  });
});
