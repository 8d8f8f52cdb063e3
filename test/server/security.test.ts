import { randomUUID } from 'node:crypto';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { makeClip, tempDir } from '../helpers/media.js';
import { adminCall, CLIP, call, chat, newSession, newToken, type Reply, uploadFiles } from './fixtures.js';

/** `nemo serve` security (issue 10): admin endpoints, Host, render scoping, bad escapes, the render queue. */

let dir: string;
let clip: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  clip = await makeClip(join(dir, 'clip.mp4'), CLIP);
});
afterAll(() => cleanup?.());

/** One raw node:http request with a chosen Host header (undici and fetch set their own). */
function rawRequest(
  url: string,
  opts: { method?: string; host?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'GET',
        headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A token, a session with the clip uploaded, and the session's draft. */
async function ready(base: string) {
  const token = await newToken(base);
  const sid = await newSession(base, token);
  const up = await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);
  expect(up.status).toBe(200);
  const state = await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token });
  return { token, sid, draft: state.json.data.state.draft };
}

async function submit(
  base: string,
  token: string,
  sid: string,
  draft: unknown,
  id = `render_${randomUUID()}`,
) {
  const r = await call(base, 'POST', '/api/render/proxy/lambda', {
    token,
    json: { id, sessionId: sid, draft, output: { quality: 'low' } },
  });
  return { id, r };
}

const statusOf = (r: Reply): string => r.json?.data?.status ?? r.json?.status;

/** Polls until the render leaves pending/processing, at most `polls` times (then returns the last poll). */
async function settle(base: string, token: string, id: string, polls = 400): Promise<Reply> {
  let r = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
  for (let i = 0; i < polls && /^(pending|processing)$/.test(statusOf(r)); i++) {
    await sleep(100);
    r = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
  }
  return r;
}

/** Polls until `test` holds, at most `polls` times; returns whether it did. */
async function eventually(test: () => boolean | Promise<boolean>, polls = 300): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (await test()) return true;
    await sleep(50);
  }
  return test();
}

/** True while process `pid` is alive and still an ffmpeg (not a zombie). */
async function ffmpegAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(ffmpeg\) [^Z]/.test(stat);
}

/** The ffmpeg processes (pids) whose command line names a file under `under` (read from /proc). */
async function ffmpegsUsing(under: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmd.split('\0');
    if (/(^|\/)ffmpeg$/.test(argv[0] ?? '') && argv.some((a) => a.includes(under))) pids.push(Number(entry));
  }
  return pids;
}

/** The ffmpeg pids using `under` once there are some (at most ~15 s of polling; [] if none came). */
async function ffmpegSoon(under: string): Promise<number[]> {
  for (let i = 0; i < 300; i++) {
    const pids = await ffmpegsUsing(under);
    if (pids.length > 0) return pids;
    await sleep(50);
  }
  return [];
}

/** A draft that keeps ffmpeg busy for minutes: the clip 30 times over, upscaled to 4K with a blurred fill. */
function heavy(draft: { t: { sg: unknown[] }[]; m: Record<string, unknown> }) {
  const seg = draft.t[0]!.sg[0];
  return {
    ...draft,
    t: [{ ...draft.t[0], sg: Array.from({ length: 30 }, () => structuredClone(seg)) }],
    m: { ...draft.m, fx: { preset: { name: '4k', fit: 'blur' } } },
  };
}

describe('admin endpoints', () => {
  let plain: RunningServer;
  let admin: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(dir, 'admin-data');
    plain = await startServer();
    admin = await startServer({ admin: true, dataDir });
  });
  afterAll(async () => {
    await plain?.close();
    await admin?.close();
  });

  it('are off unless the server is started with admin: /_nemo/* answers 404 and changes nothing', async () => {
    expect(plain.adminSecret).toBeUndefined();
    const reg = await call(plain.url, 'POST', '/_nemo/renders', { json: { path: '/etc/passwd' } });
    expect(reg.status).toBe(404);
    expect(reg.json).toEqual({ code: 404, message: 'Not found: POST /_nemo/renders' });
    expect(reg.text).not.toContain('/renders/');
    expect((await call(plain.url, 'GET', '/_nemo/stats')).status).toBe(404);
    const fault = await call(plain.url, 'POST', '/_nemo/faults', { json: { name: 'html-503' } });
    expect(fault.status).toBe(404);
    expect(plain.faults.list()).toEqual([]);
  });

  it('need the per-run secret in X-Nemo-Admin: none or a wrong one is a 401', async () => {
    expect(admin.adminSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await startServer({ admin: true });
    try {
      expect(other.adminSecret).not.toBe(admin.adminSecret); // random per run
    } finally {
      await other.close();
    }
    const wrong: Record<string, string>[] = [
      {},
      { 'x-nemo-admin': 'wrong' },
      { 'x-nemo-admin': `${admin.adminSecret}x` },
    ];
    for (const headers of wrong) {
      const r = await call(admin.url, 'GET', '/_nemo/stats', { headers });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe(401);
      const f = await call(admin.url, 'POST', '/_nemo/faults', { json: { name: 'html-503' }, headers });
      expect(f.status).toBe(401);
    }
    expect(admin.faults.list()).toEqual([]);
    expect((await adminCall(admin, 'GET', '/_nemo/stats')).status).toBe(200);
    const given = await startServer({ admin: true, adminSecret: 'a-secret-from-the-environment' });
    try {
      expect(given.adminSecret).toBe('a-secret-from-the-environment');
      expect((await adminCall(given, 'GET', '/_nemo/faults')).status).toBe(200);
    } finally {
      await given.close();
    }
  });

  it('take JSON bodies only (415) and refuse a foreign Origin (403), even with the secret', async () => {
    const secret = { 'x-nemo-admin': admin.adminSecret! };
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await call(admin.url, 'POST', '/_nemo/faults', {
        body: JSON.stringify({ name: 'html-503' }),
        headers: { ...secret, 'content-type': type },
      });
      expect(r.status, type).toBe(415);
    }
    const noType = await call(admin.url, 'POST', '/_nemo/faults', {
      body: JSON.stringify({ name: 'html-503' }),
      headers: secret,
    });
    expect(noType.status).toBe(415);
    for (const origin of ['http://evil.example', 'null', `http://localhost:${admin.port + 1}`]) {
      const r = await adminCall(admin, 'POST', '/_nemo/faults', {
        json: { name: 'html-503' },
        headers: { origin },
      });
      expect(r.status, origin).toBe(403);
      expect((await adminCall(admin, 'GET', '/_nemo/stats', { headers: { origin } })).status).toBe(403);
    }
    expect(admin.faults.list()).toEqual([]);
    const same = await adminCall(admin, 'GET', '/_nemo/faults', { headers: { origin: admin.url } });
    expect(same.status).toBe(200);
  });

  it('register renders only from files inside the data dir (realpath; no .., no absolute path outside)', async () => {
    const secret = await readFile('/etc/passwd', 'utf8');
    await writeFile(join(dir, 'outside.mp4'), 'outside the data dir');
    await symlink('/etc/passwd', join(dataDir, 'link-out.mp4'));
    await symlink(dir, join(dataDir, 'dir-out'));
    for (const path of [
      '/etc/passwd',
      join(dir, 'outside.mp4'),
      '../outside.mp4',
      `${dataDir}/../outside.mp4`,
      'link-out.mp4',
      join(dataDir, 'link-out.mp4'),
      'dir-out/outside.mp4',
      dataDir,
      '',
    ]) {
      const r = await adminCall(admin, 'POST', '/_nemo/renders', { json: { path } });
      expect(r.status, path).toBe(400);
      expect(r.text).not.toContain(secret.slice(0, 20));
    }
    const token = await newToken(admin.url);
    const inside = join(dataDir, 'inside.mp4');
    await writeFile(inside, 'inside');
    for (const path of [inside, 'inside.mp4']) {
      const ok = await adminCall(admin, 'POST', '/_nemo/renders', { json: { path } });
      expect(ok.status, path).toBe(200);
      expect((await call(admin.url, 'GET', new URL(ok.json.url).pathname)).text).toBe('inside');
      const dl = await call(admin.url, 'GET', `/api/render/proxy/${ok.json.id}/download`, { token });
      expect(dl.text).toBe('inside');
    }
  });

  it('/_nemo/stats shows counts only: no session or user ids, no SSE text, no tokens', async () => {
    const token = await newToken(admin.url);
    const sid = await newSession(admin.url, token);
    const words = `private words ${randomUUID()}`;
    const r = await chat(admin.url, token, sid, words);
    expect(r.status).toBe(200);
    const stats = await adminCall(admin, 'GET', '/_nemo/stats');
    expect(stats.status).toBe(200);
    expect(admin.stats().runSse[sid]).toBe(1); // the in-process detail does know the session
    for (const secret of [sid, words, token, 'anon_', 'Hi! ']) expect(stats.text).not.toContain(secret);
    expect(stats.json).toMatchObject({
      uploadsStored: expect.any(Number),
      sessions: expect.any(Number),
      runSse: expect.any(Number),
      renders: { total: expect.any(Number) },
    });
    expect(stats.json.runSse).toBeGreaterThanOrEqual(1);
    expect(stats.json.requests['POST /run_sse']).toBeGreaterThanOrEqual(1);
    expect(stats.json.requests['POST /api/tasks/me/with-session/nemo_agent']).toBeGreaterThanOrEqual(1);
    expect(stats.json.sseWrites.text).toBeGreaterThanOrEqual(1);
    for (const key of Object.keys(stats.json.requests)) expect(key).not.toMatch(/\d{19}|render_/);
  });
});

describe('the Host header', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ admin: true, allowedHosts: ['nemo.test'] });
  });
  afterAll(() => server?.close());

  it('must name this server on every request (DNS rebinding): anything else is 421', async () => {
    const token = await newToken(server.url);
    const sid = await newSession(server.url, token);
    const media = (await uploadFiles(server.url, token, sid, [{ name: 'clip.mp4', path: clip }])).json.data
      .files[0].cdn_url as string;
    const auth = { authorization: `Bearer ${token}` };
    const secret = { 'x-nemo-admin': server.adminSecret! };
    const requests: [string, Record<string, string>][] = [
      ['/api/credits/balance/simple', auth],
      [`/api/state/nemo_agent/me/${sid}/latest`, auth],
      [new URL(media).pathname, {}],
      ['/_nemo/stats', secret],
    ];
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      'nemo.test:1',
    ]) {
      for (const [path, headers] of requests) {
        const r = await rawRequest(server.url + path, { host, headers });
        expect(r.status, `${host} ${path}`).toBe(421);
        expect(r.json).toEqual({ code: 421, message: expect.stringMatching(/^Misdirected request/) });
      }
      const post = await rawRequest(`${server.url}/_nemo/faults`, {
        method: 'POST',
        host,
        headers: { ...secret, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'html-503' }),
      });
      expect(post.status).toBe(421);
    }
    expect(server.faults.list()).toEqual([]);
    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `LOCALHOST:${server.port}`,
      `[::1]:${server.port}`,
      `nemo.test:${server.port}`,
    ]) {
      for (const [path, headers] of requests) {
        const r = await rawRequest(server.url + path, { host, headers });
        expect(r.status, `${host} ${path}`).toBe(200);
      }
    }
  });
});

describe('render ids and render URLs', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());

  it("are per user: another user's id answers exactly like an unknown one, and can be reused by them", async () => {
    const a = await ready(server.url);
    const b = await ready(server.url);
    const { id, r } = await submit(server.url, a.token, a.sid, a.draft);
    expect(r.status).toBe(200);
    const unknown = `render_${randomUUID()}`;
    const shape = (x: Reply) => ({
      status: x.status,
      body: x.text.replaceAll(unknown, '<id>').replaceAll(id, '<id>'),
    });
    for (const [method, path] of [
      ['GET', '/api/render/proxy/lambda/{id}'],
      ['GET', '/api/render/proxy/{id}'],
      ['GET', '/api/render/proxy/{id}/download'],
      ['POST', '/api/render/proxy/lambda/{id}/cancel'],
    ] as const) {
      const theirs = await call(server.url, method, path.replace('{id}', id), { token: b.token });
      const none = await call(server.url, method, path.replace('{id}', unknown), { token: b.token });
      expect(theirs.status, path).toBe(404);
      expect(shape(theirs), path).toEqual(shape(none));
    }
    // Submitting the same id is no oracle either: it is b's own new render.
    const again = await submit(server.url, b.token, b.sid, b.draft, id);
    expect(again.r.status).toBe(200);
    expect(again.r.json).toEqual({ success: true, data: { id, status: 'pending', progress: 0 } });
    const doneA = await settle(server.url, a.token, id);
    const doneB = await settle(server.url, b.token, id);
    expect(statusOf(doneA)).toBe('completed');
    expect(statusOf(doneB)).toBe('completed');
    expect(doneA.json.data.outputUrl).not.toBe(doneB.json.data.outputUrl);
    // a's own duplicate is still refused
    expect((await submit(server.url, a.token, a.sid, a.draft, id)).r.status).toBe(409);
  });

  it('are served at an unguessable URL (128-bit capability), not at /renders/<id>', async () => {
    const a = await ready(server.url);
    const { id } = await submit(server.url, a.token, a.sid, a.draft);
    const done = await settle(server.url, a.token, id);
    const url = new URL(done.json.data.outputUrl as string);
    const m = /^\/renders\/([0-9a-f]{32})\/(.+)$/.exec(url.pathname);
    expect(m, url.pathname).not.toBeNull();
    expect(m![2]).toBe(`${id}.mp4`);
    expect((await call(server.url, 'GET', url.pathname)).status).toBe(200);
    for (const guess of [`/renders/${id}.mp4`, `/renders/${'0'.repeat(32)}/${id}.mp4`]) {
      expect((await call(server.url, 'GET', guess)).status, guess).toBe(404);
    }
  });
});

describe('URLs with malformed percent-escapes', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());

  it('answer 400 with the error envelope, not 500', async () => {
    const token = await newToken(server.url);
    for (const path of [
      '/api/state/nemo_agent/me/%E0%A4/latest',
      '/api/state/nemo_agent/me/%zz/latest',
      '/api/render/proxy/lambda/%',
      '/api/render/proxy/%C0%AF/download',
      '/api/upload-video/nemo_agent/me/%FF',
    ]) {
      const method = path.startsWith('/api/upload') ? 'POST' : 'GET';
      const r = await call(server.url, method, path, { token });
      expect(r.status, path).toBe(400);
      expect(r.json, path).toEqual({ code: 400, message: 'Malformed percent-escape in the URL path' });
    }
    for (const path of ['/media/%E0%A4/x/y.mp4', '/renders/%zz.mp4']) {
      expect((await call(server.url, 'GET', path)).status, path).toBe(404);
    }
  });
});

describe('the render queue', () => {
  it('runs two renders at once: a slow first one does not hold up the second', async () => {
    const server = await startServer();
    try {
      const a = await ready(server.url);
      server.faults.add({ name: 'slow-render', ms: 600_000 });
      const slow = await submit(server.url, a.token, a.sid, a.draft);
      const quick = await submit(server.url, a.token, a.sid, a.draft);
      const done = await settle(server.url, a.token, quick.id);
      expect(statusOf(done)).toBe('completed');
      const first = await call(server.url, 'GET', `/api/render/proxy/lambda/${slow.id}`, { token: a.token });
      expect(statusOf(first)).toBe('processing');
    } finally {
      await server.close();
    }
  });

  it('queues past renderConcurrency, in order', async () => {
    const server = await startServer({ renderConcurrency: 1 });
    try {
      const a = await ready(server.url);
      server.faults.add({ name: 'slow-render', ms: 600_000 });
      const slow = await submit(server.url, a.token, a.sid, a.draft);
      const waiting = await submit(server.url, a.token, a.sid, a.draft);
      expect(
        await eventually(
          async () => statusOf(await settle(server.url, a.token, slow.id, 0)) === 'processing',
        ),
      ).toBe(true);
      const poll = await call(server.url, 'GET', `/api/render/proxy/lambda/${waiting.id}`, {
        token: a.token,
      });
      expect(statusOf(poll)).toBe('pending');
      await call(server.url, 'POST', `/api/render/proxy/lambda/${slow.id}/cancel`, { token: a.token });
      expect(statusOf(await settle(server.url, a.token, waiting.id))).toBe('completed');
    } finally {
      await server.close();
    }
  });

  it('stops a render that runs past renderTimeoutMs: ffmpeg killed, a clear error, the slot freed', async () => {
    const dataDir = join(dir, 'timeout-data');
    // 4 s: time enough to see the runaway's ffmpeg on a loaded machine, not more (the test waits it out)
    const server = await startServer({ dataDir, renderConcurrency: 1, renderTimeoutMs: 4000 });
    try {
      const a = await ready(server.url);
      const runaway = await submit(server.url, a.token, a.sid, heavy(a.draft));
      const next = await submit(server.url, a.token, a.sid, a.draft);
      const pids = await ffmpegSoon(dataDir);
      expect(pids.length).toBeGreaterThan(0);
      const failed = await settle(server.url, a.token, runaway.id);
      expect(statusOf(failed)).toBe('failed');
      expect(failed.json.data.error).toBe('Render failed: it ran past the time limit of 4 s and was stopped');
      expect(await eventually(async () => !(await Promise.all(pids.map(ffmpegAlive))).includes(true))).toBe(
        true,
      );
      // The slot is free: the next render runs (it has the same time limit, which a loaded machine may hit).
      const after = await settle(server.url, a.token, next.id);
      expect(
        statusOf(after) === 'completed' ||
          (statusOf(after) === 'failed' && /time limit/.test(after.json.data.error)),
        JSON.stringify(after.json),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('cancel kills the running ffmpeg and frees the slot', async () => {
    const dataDir = join(dir, 'cancel-data');
    const server = await startServer({ dataDir, renderConcurrency: 1 });
    try {
      const a = await ready(server.url);
      const big = await submit(server.url, a.token, a.sid, heavy(a.draft));
      const next = await submit(server.url, a.token, a.sid, a.draft);
      const pids = await ffmpegSoon(dataDir);
      expect(pids.length).toBeGreaterThan(0);
      expect(await ffmpegAlive(pids[0]!)).toBe(true);
      const cancel = await call(server.url, 'POST', `/api/render/proxy/lambda/${big.id}/cancel`, {
        token: a.token,
      });
      expect(cancel.json).toEqual({ success: true, data: { id: big.id, status: 'cancelled' } });
      expect(await eventually(async () => !(await Promise.all(pids.map(ffmpegAlive))).includes(true))).toBe(
        true,
      );
      expect(statusOf(await settle(server.url, a.token, next.id))).toBe('completed');
      expect(statusOf(await settle(server.url, a.token, big.id))).toBe('cancelled');
    } finally {
      await server.close();
    }
  });
});
