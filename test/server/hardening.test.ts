import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/server/http.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { displayName } from '../../src/server/uploads.js';
import { makeClip, tempDir } from '../helpers/media.js';
import { CLIP, call, chat, newSession, newToken, texts, uploadFiles } from './fixtures.js';

let server: RunningServer;
let base: string;
let dir: string;
let clipBytes: Buffer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  clipBytes = await readFile(await makeClip(join(dir, 'clip.mp4'), CLIP));
  server = await startServer({
    dataDir: join(dir, 'data'),
    maxUploadBytes: 512 * 1024,
    timeouts: { headersMs: 300, requestMs: 1000, keepAliveMs: 300 },
  });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

describe('binding', () => {
  it('listens on 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '', undefined])
      expect(isLoopback(a)).toBe(false);
  });
});

describe('upload names', () => {
  it('keeps only the base name and refuses NUL, dot names and unsupported types', () => {
    expect(displayName('../../etc/evil.mp4')).toBe('evil.mp4');
    expect(displayName('..\\..\\win.mp4')).toBe('win.mp4');
    expect(displayName('a\u0000.mp4')).toBeUndefined();
    expect(displayName('..')).toBeUndefined();
    expect(displayName('dir/')).toBeUndefined();
  });

  it('stores traversal names under generated names inside the session directory', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const r = await uploadFiles(base, token, sid, [
      { name: '../../../escape.mp4', data: clipBytes },
      { name: '..\\..\\win.mp4', data: clipBytes },
    ]);
    expect(r.status).toBe(200);
    expect(r.json.data.files.map((f: { filename: string }) => f.filename)).toEqual(['escape.mp4', 'win.mp4']);
    const stored = await readdir(join(dir, 'data', 'uploads', sid));
    expect(stored).toHaveLength(2);
    for (const name of stored) expect(name).toMatch(/^[0-9a-f]{24}\.mp4$/);
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining(['escape.mp4', 'win.mp4']));
    expect(await readdir(join(dir, 'data'))).toEqual(['uploads']);
  });

  it('answers 4001 for bad names and types, 4002 above the size cap, and keeps nothing', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    for (const name of ['..', 'virus.exe', 'notes.txt']) {
      const r = await uploadFiles(base, token, sid, [{ name, data: clipBytes }]);
      expect(r.status, name).toBe(400);
      expect(r.json.code, name).toBe(4001);
    }
    const junk = await uploadFiles(base, token, sid, [
      { name: 'fake.mp4', data: Buffer.from('not a video') },
    ]);
    expect(junk.json.code).toBe(4001);
    const big = await uploadFiles(base, token, sid, [{ name: 'big.mp4', data: Buffer.alloc(600 * 1024) }]);
    expect(big.status).toBe(413);
    expect(big.json.code).toBe(4002);
    // The first file is fine, the second is refused: neither is kept.
    const mixed = await uploadFiles(base, token, sid, [
      { name: 'ok.mp4', data: clipBytes },
      { name: 'bad.exe', data: clipBytes },
    ]);
    expect(mixed.json.code).toBe(4001);
    expect(await readdir(join(dir, 'data', 'uploads', sid))).toEqual([]);
    const urls = await call(base, 'POST', `/api/upload-video/nemo_agent/me/${sid}`, {
      token,
      json: { urls: ['https://example.com/a.mp4'], source_type: 'url' },
    });
    expect(urls.json.code).toBe(4001);
    expect(urls.json.message).toMatch(/no network/);
  });

  it("imports this server's own media URLs", async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const up = await uploadFiles(base, token, sid, [{ name: 'clip.mp4', data: clipBytes }]);
    const other = await newSession(base, token);
    const r = await call(base, 'POST', `/api/upload-video/nemo_agent/me/${other}`, {
      token,
      json: { urls: [up.json.data.files[0].cdn_url], source_type: 'url' },
    });
    expect(r.status).toBe(200);
    expect(r.json.data.files[0].hash).toBe(up.json.data.files[0].hash);
    expect(r.json.data.files[0].cdn_url).toContain(`/media/${other}/`);
  });

  it('does not serve files outside the media index', async () => {
    for (const path of [
      '/media/../../etc/passwd',
      '/media/%2e%2e/%2e%2e/etc/passwd',
      '/renders/../index.ts',
    ]) {
      const r = await call(base, 'GET', path);
      expect(r.status, path).toBe(404);
    }
  });
});

describe('body caps', () => {
  it('refuses a declared oversized JSON body with 413', async () => {
    const token = await newToken(base);
    const big = JSON.stringify({ task_name: 'x'.repeat(2 * 1024 * 1024) });
    const r = await call(base, 'POST', '/api/tasks/me/with-session/nemo_agent', {
      token,
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe(413);
  });

  it('stops reading a chunked JSON body that grows past the cap', async () => {
    const token = await newToken(base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/api/tasks/me/with-session/nemo_agent`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      req.write('{"task_name":"');
      const pump = (n: number): void => {
        if (n === 0 || req.destroyed) return void req.end('"}');
        if (req.write(chunk)) setImmediate(() => pump(n - 1));
        else req.once('drain', () => pump(n - 1));
      };
      pump(40);
    });
    expect(status).toBe(413);
  });
});

describe('load and idle sockets', () => {
  it('serves 50 concurrent sessions doing token → session → state', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const token = await newToken(base, randomUUID());
        const sid = await newSession(base, token);
        const state = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
        return state.status === 200 && state.json.data.session_id === sid;
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(50);
  });

  it('drops a client that connects and sends nothing, without blocking others', async () => {
    const idle = connect(server.port, '127.0.0.1');
    const slowloris = connect(server.port, '127.0.0.1');
    slowloris.write('GET /api/credits/balance/simple HTTP/1.1\r\nHost: x\r\n'); // headers never finish
    // Read what the server says (a 408) so that its close is seen.
    const closed = (s: typeof idle) =>
      new Promise<void>((resolve) =>
        s
          .on('close', () => resolve())
          .on('error', () => undefined)
          .resume(),
      );
    const idleClosed = closed(idle);
    const lorisClosed = closed(slowloris);
    const token = await newToken(base);
    const credits = await call(base, 'GET', '/api/credits/balance/simple', { token });
    expect(credits.status).toBe(200);
    await Promise.all([idleClosed, lorisClosed]);
    expect(idle.destroyed && slowloris.destroyed).toBe(true);
  });
});

describe('long replies', () => {
  it('keeps a /run_sse stream open past the request and header timeouts', async () => {
    const own = await startServer({
      agentMinMs: 1200,
      heartbeatMs: 100,
      timeouts: { headersMs: 200, requestMs: 400 },
    });
    try {
      const token = await newToken(own.url);
      const sid = await newSession(own.url, token);
      const r = await chat(own.url, token, sid, 'hello');
      expect(r.comments.filter((c) => c === 'ping').length).toBeGreaterThanOrEqual(5);
      expect(texts(r.events)[0]).toMatch(/^Hi! /);
    } finally {
      await own.close();
    }
  });
});

describe('clients that go away', () => {
  it('keeps working when a /run_sse client disconnects mid-stream: the edit still lands', async () => {
    const token = await newToken(base);
    const sid = await newSession(base, token);
    await uploadFiles(base, token, sid, [{ name: 'clip.mp4', data: clipBytes }]);
    server.faults.add({ name: 'slow-agent', ms: 300 });
    const ctl = new AbortController();
    const res = await request(`${base}/run_sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sid, new_message: { parts: [{ text: "add title 'Gone'" }] } }),
      signal: ctl.signal,
    });
    expect(res.statusCode).toBe(200);
    ctl.abort();
    await res.body.text().catch(() => undefined);
    let titles: string[] = [];
    for (let i = 0; i < 100 && titles.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const draft = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
        .state.draft;
      titles = draft.t.flatMap((t: { sg: { m?: { text?: string } }[] }) =>
        t.sg.map((g) => g.m?.text).filter(Boolean),
      );
    }
    expect(titles).toEqual(['Gone']);
  });
});

describe('close()', () => {
  it('stops a running render and removes the temp data dir it made', async () => {
    const lines: string[] = [];
    const own = await startServer({ renderMinMs: 600_000, logger: (l) => lines.push(l) });
    const dataDir = /\(data in (.+)\)$/.exec(lines[0]!)![1]!;
    const token = await newToken(own.url);
    const sid = await newSession(own.url, token);
    await uploadFiles(own.url, token, sid, [{ name: 'clip.mp4', data: clipBytes }]);
    const draft = (await call(own.url, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state.draft;
    const id = `render_${randomUUID()}`;
    await call(own.url, 'POST', '/api/render/proxy/lambda', { token, json: { id, sessionId: sid, draft } });
    let status = 'pending';
    while (status === 'pending') {
      status = (await call(own.url, 'GET', `/api/render/proxy/lambda/${id}`, { token })).json.data.status;
    }
    expect(status).toBe('processing');
    expect((await readdir(dataDir)).length).toBeGreaterThan(0);
    await own.close();
    await expect(readdir(dataDir)).rejects.toThrow(/ENOENT/);
    await expect(call(own.url, 'GET', '/api/credits/balance/simple', { token })).rejects.toThrow();
  });
});
