import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { makeClip, tempDir } from '../helpers/media.js';
import { CLIP, call, chat, newSession, newToken, texts, uploadFiles } from './fixtures.js';

let server: RunningServer;
let base: string;
let clip: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  clip = await makeClip(join(tmp.dir, 'clip.mp4'), CLIP);
  server = await startServer({ heartbeatMs: 50 });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('anonymous token (§4.1)', () => {
  it('needs X-Client-Id', async () => {
    const r = await call(base, 'POST', '/api/auth/anonymous-token');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: 'Missing X-Client-Id' });
    const long = await call(base, 'POST', '/api/auth/anonymous-token', {
      headers: { 'x-client-id': 'x'.repeat(65) },
    });
    expect(long.status).toBe(400);
  });

  it('issues one token per client id per window, then 429 with Retry-After', async () => {
    const clientId = randomUUID();
    const r = await call(base, 'POST', '/api/auth/anonymous-token', { headers: { 'x-client-id': clientId } });
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(0);
    const d = r.json.data;
    expect(d.token).toMatch(/^nmv_usr_[A-Za-z0-9_-]{16,}$/);
    expect(d.user_id).toMatch(/^anon_[0-9a-f]+$/);
    expect(d.credits).toBe(100);
    const days = (Date.parse(d.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    const again = await call(base, 'POST', '/api/auth/anonymous-token', {
      headers: { 'x-client-id': clientId },
    });
    expect(again.status).toBe(429);
    expect(again.json.code).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('bearer auth', () => {
  const paths: ['GET' | 'POST', string][] = [
    ['GET', '/api/credits/balance/simple'],
    ['POST', '/api/tasks/me/with-session/nemo_agent'],
    ['POST', '/run_sse'],
    ['GET', '/api/state/nemo_agent/me/1234567890123456789/latest'],
    ['POST', '/api/upload-video/nemo_agent/me/1234567890123456789'],
    ['POST', '/api/render/proxy/lambda'],
    ['GET', '/api/render/proxy/lambda/render_1'],
    ['POST', '/api/auth/claim-token'],
  ];
  it('answers 401 1001 without a token or with an unknown one, everywhere', async () => {
    for (const [method, path] of paths) {
      for (const token of [undefined, 'nmv_usr_unknown', 'not-a-token']) {
        const r = await call(base, method, path, { token, json: {} });
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.json).toEqual({ code: 1001, message: 'Invalid or expired token' });
      }
    }
  });
});

describe('sessions, credits, claim, state', () => {
  it('creates sessions with task and 19-digit session ids', async () => {
    const token = await newToken(base);
    const r = await call(base, 'POST', '/api/tasks/me/with-session/nemo_agent', {
      token,
      json: { task_name: 'project', language: 'en' },
    });
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(0);
    expect(r.json.data.task_id).toMatch(/^task_[0-9a-f]+$/);
    expect(r.json.data.session_id).toMatch(/^[1-9]\d{18}$/);
    expect(r.json.data.user_id).toMatch(/^anon_/);
    const second = await newSession(base, token);
    expect(second).not.toBe(r.json.data.session_id);
  });

  it('reports credits and claim tokens', async () => {
    const token = await newToken(base);
    const credits = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(credits.json).toEqual({ code: 0, data: { available: 100, frozen: 0, total: 100 } });
    const claim = await call(base, 'POST', '/api/auth/claim-token', {
      token,
      json: { task_id: 'task_1', session_id: '1' },
    });
    expect(claim.json.code).toBe(0);
    expect(claim.json.data.claim_token).toMatch(/^clm_/);
    expect(claim.json.data.expires_in).toBe(604800);
  });

  it('shows an empty state, then the upload and its draft', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const empty = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
    expect(empty.status).toBe(200);
    expect(empty.json.data.session_id).toBe(sid);
    expect(empty.json.data.state.video_infos).toEqual([]);
    expect(empty.json.data.state.draft).toBeNull();
    const up = await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);
    expect(up.status).toBe(200);
    const file = up.json.data.files[0];
    expect(up.json.data.session_state_applied).toBe(true);
    expect(file).toMatchObject({
      filename: 'clip.mp4',
      file_type: 'video',
      width: 320,
      height: 180,
      fps: 25,
    });
    expect(file.duration).toBeCloseTo(2, 1);
    expect(file.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(file.cdn_url).toMatch(new RegExp(`^${base}/media/${sid}/[0-9a-f]{24}/clip\\.mp4$`));
    const state = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
    expect(state.json.data.state.video_infos).toEqual([file]);
    expect(state.json.data.state.draft.t[0].sg[0].m).toMatchObject({ src: file.cdn_url, name: 'clip.mp4' });
    expect(state.json.data.state.canvas_config).toEqual({ width: 320, height: 180, aspect_ratio: '16:9' });
    const media = await call(base, 'GET', new URL(file.cdn_url).pathname);
    expect(media.status).toBe(200);
    expect(media.headers['content-type']).toBe('video/mp4');
    const head = await call(base, 'HEAD', new URL(file.cdn_url).pathname);
    expect(head.headers['content-length']).toBe(String(media.body.length));
    expect(head.headers['accept-ranges']).toBe('bytes');
  });

  it("hides another user's session and unknown sessions behind 404 1002", async () => {
    const owner = await newToken(base);
    const other = await newToken(base);
    const sid = await newSession(base, owner);
    for (const [token, s] of [
      [other, sid],
      [owner, '1111111111111111111'],
    ] as const) {
      const state = await call(base, 'GET', `/api/state/nemo_agent/me/${s}/latest`, { token });
      expect(state.status).toBe(404);
      expect(state.json).toEqual({ code: 1002, message: 'Session not found' });
      const sse = await chat(base, token, s, 'hello');
      expect(sse.status).toBe(404);
      expect(JSON.parse(sse.raw)).toEqual({ code: 1002, message: 'Session not found' });
    }
  });

  it('answers unknown paths with 404 JSON and wrong methods with 405', async () => {
    const r = await call(base, 'GET', '/api/nope');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json.code).toBe(404);
    const m = await call(base, 'GET', '/run_sse');
    expect(m.status).toBe(405);
  });
});

describe('/run_sse replies without an edit', () => {
  it('answers chat with what it can do, as an ADK event stream, and charges nothing', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const r = await chat(base, token, sid, 'hello');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.events.length).toBeGreaterThan(0);
    const e = r.events[0];
    expect(e.author).toBe('nemo_agent');
    expect(e.content.role).toBe('model');
    expect(e.invocationId).toMatch(/^e-[0-9a-f-]{36}$/);
    expect(e.actions).toEqual({ stateDelta: {}, artifactDelta: {}, requestedAuthConfigs: {} });
    expect(typeof e.id).toBe('string');
    expect(e.timestamp).toBeGreaterThan(1.7e9);
    expect(e.timestamp).toBeLessThan(1e11); // seconds, not ms
    expect(texts(r.events).join(' ')).toMatch(/^Hi! .* I can: /);
    expect(texts((await chat(base, token, sid, '你好')).events)[0]).toMatch(/^Hi! /);
    const credits = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(credits.json.data.available).toBe(100);
  });

  it('says "Upload a video first" for an edit with no media', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const r = await chat(base, token, sid, 'cut the first 1 second');
    expect(texts(r.events).join(' ')).toMatch(/Upload a video first/);
    expect(r.events.some((e) => e.content?.parts?.some((p: object) => 'functionCall' in p))).toBe(false);
  });

  it('says honestly what it cannot do', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const r = await chat(base, token, sid, 'make it look like a Pixar movie');
    expect(texts(r.events).join(' ')).toMatch(/I can't do "make it look like a Pixar movie" yet\. I can: /);
  });

  it('accepts the camelCase body and requires a session id and a text part', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const camel = await call(base, 'POST', '/run_sse', {
      token,
      json: {
        appName: 'nemo_agent',
        userId: 'me',
        sessionId: sid,
        newMessage: { parts: [{ text: 'hello' }] },
      },
    });
    expect(camel.status).toBe(200);
    expect(camel.headers['content-type']).toMatch(/^text\/event-stream/);
    const missing = await call(base, 'POST', '/run_sse', {
      token,
      json: { new_message: { parts: [{ text: 'x' }] } },
    });
    expect(missing.status).toBe(400);
    const empty = await call(base, 'POST', '/run_sse', {
      token,
      json: { session_id: sid, new_message: { parts: [] } },
    });
    expect(empty.status).toBe(400);
  });
});

describe('credits (2001)', () => {
  it('answers a JSON 2001 envelope on /run_sse when the first edit costs more than the balance', async () => {
    const poor = await startServer({ startCredits: 30, editCost: 50 });
    try {
      const token = await newToken(poor.url);
      const sid = await newSession(poor.url, token);
      await uploadFiles(poor.url, token, sid, [{ name: 'clip.mp4', path: clip }]);
      const r = await call(poor.url, 'POST', '/run_sse', {
        token,
        json: { session_id: sid, new_message: { parts: [{ text: 'cut the first 1 second' }] } },
      });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json).toEqual({ code: 2001, message: 'Insufficient credits' });
    } finally {
      await poor.close();
    }
  });
});

describe('render submit validation (§4.8)', () => {
  it('wants attribution headers (402), an id, a session and a draft, and refuses a reused id (409)', async () => {
    const token = await newToken(base);
    const draft = { t: [{ tt: 0, sg: [{ d: 1000, m: { src: 'x' } }] }] };
    const body = { id: `render_${randomUUID()}`, sessionId: '1', draft };
    const blocked = await call(base, 'POST', '/api/render/proxy/lambda', {
      token,
      json: body,
      headers: { 'x-skill-source': '' },
    });
    expect(blocked.status).toBe(402);
    expect(blocked.json.success).toBe(false);
    for (const bad of [
      { ...body, id: undefined },
      { ...body, id: '../../etc/passwd' },
      { ...body, sessionId: undefined },
      { ...body, draft: {} },
      { ...body, draft: { t: [] } },
      { ...body, output: { format: 'exe' } },
      { ...body, draft: { ...draft, m: { fx: { grade: { look: 'lut', lut: '/etc/passwd' } } } } },
    ]) {
      const r = await call(base, 'POST', '/api/render/proxy/lambda', { token, json: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.json.success).toBe(false);
    }
    const ok = await call(base, 'POST', '/api/render/proxy/lambda', { token, json: body });
    expect(ok.json).toEqual({ success: true, data: { id: body.id, status: 'pending', progress: 0 } });
    const dup = await call(base, 'POST', '/api/render/proxy/lambda', { token, json: body });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ success: false, error: 'duplicate id' });
  });
});
