import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  ConnectionError,
  FileTooLargeError,
  InsufficientCreditsError,
  RateLimitError,
  RenderFailedError,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
} from '../../src/api/errors.js';
import { renderWithRetry } from '../../src/api/render.js';
import type { ChatEvent } from '../../src/api/sse-events.js';
import {
  collect,
  ffprobeDuration,
  MemoryStore,
  mediaFixture,
  projectWithClip,
  serveFixture,
  stats,
} from './helpers.js';

/** Every `nemo serve` fault, each showing what the client does: recovers, or raises the right typed error. */
const media = mediaFixture();
const { start, client } = serveFixture();

describe('auth faults', () => {
  it('expire-token: the anonymous token is renewed once with the same client id and the request replayed', async () => {
    const server = await start();
    const store = new MemoryStore();
    const c = client(server, { credentials: store });
    await c.credits.get();
    server.faults.add({ name: 'expire-token' });
    expect((await c.credits.get()).available).toBe(100);
    expect(store.saved).toHaveLength(2);
    expect(store.saved[1].token).not.toBe(store.saved[0].token);
    expect((await stats(server)).requests['/api/auth/anonymous-token']).toBe(2);
  });
  it('expire-token after upload: the chat that follows still goes through (401 before the stream is replayed)', async () => {
    const server = await start();
    const c = client(server);
    const session = await c.sessions.create();
    server.faults.add({ name: 'expire-token', after: 'upload' });
    await c.uploads.files(session.sessionId, [media.clip()]);
    const events = await collect(c.chat.send(session.sessionId, 'trim to 1 seconds'));
    expect(events.at(-1)?.type).toBe('done');
    expect((await stats(server)).runSse[session.sessionId]).toBe(1);
  });
  it('a token from NEMO_TOKEN/option is not replaced: AuthError with a hint', async () => {
    const server = await start();
    const first = client(server);
    await first.credits.get();
    const token = (first.auth as unknown as { current: { token: string } }).current.token;
    const c = client(server, { token });
    server.faults.add({ name: 'expire-token' });
    const err = await c.credits.get().catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.serverCode).toBe(1001);
    expect(err.code).toBe('auth');
    expect(err.hint).toMatch(/NEMO_TOKEN/);
  });
  it('the same client id asking again within the window gets a RateLimitError naming NEMO_TOKEN', async () => {
    const server = await start();
    await client(server, { clientId: 'fixed-id' }).auth.anonymousToken();
    const err = await client(server, { clientId: 'fixed-id', maxRetries: 0 })
      .auth.anonymousToken()
      .catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.hint).toMatch(/NEMO_TOKEN/);
  });
});

describe('session and credit faults', () => {
  it('lose-session: chat raises SessionNotFoundError (the caller starts a new session)', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'lose-session' });
    const err = await collect(c.chat.send(sessionId, 'trim to 1 seconds')).catch((e) => e);
    expect(err).toBeInstanceOf(SessionNotFoundError);
    await expect(c.state.get(sessionId)).rejects.toBeInstanceOf(SessionNotFoundError);
    const fresh = await c.sessions.create();
    expect(fresh.sessionId).not.toBe(sessionId);
  });
  it('too few credits: InsufficientCreditsError with the register?bind=<user_id> link', async () => {
    const server = await start({ startCredits: 10, editCost: 50 });
    const c = client(server, { webURL: 'https://web.test' });
    const { sessionId } = await projectWithClip(c, media.clip());
    const err = await collect(c.chat.send(sessionId, 'trim to 1 seconds')).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err.registerUrl).toMatch(/^https:\/\/web\.test\/register\?bind=anon_/);
  });
  it('server size limit: FileTooLargeError (4002) when the server limit is below the local one', async () => {
    const server = await start({ maxUploadBytes: 1000 });
    const c = client(server);
    const session = await c.sessions.create();
    await expect(c.uploads.files(session.sessionId, [media.clip()])).rejects.toBeInstanceOf(
      FileTooLargeError,
    );
  });
});

describe('transport faults', () => {
  it('rate-limit once: retried after Retry-After and recovers', async () => {
    const server = await start();
    const c = client(server);
    await c.credits.get();
    server.faults.add({ name: 'rate-limit', path: '/api/credits', retryAfterS: 0 });
    expect((await c.credits.get()).available).toBe(100);
    expect((await stats(server)).requests['/api/credits/balance/simple']).toBe(3);
  });
  it('rate-limit persistent: RateLimitError keeps retryAfterMs for the CLI', async () => {
    const server = await start();
    const c = client(server, { maxRetries: 0 });
    await c.credits.get();
    server.faults.add({ name: 'rate-limit', path: '/api/credits', retryAfterS: 30, times: -1 });
    const err = await c.credits.get().catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.message).toMatch(/30 s/);
  });
  it('html-503 once: retried and recovers', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'html-503', path: '/api/state' });
    expect((await c.state.get(sessionId)).state.video_infos).toHaveLength(1);
  });
  it('html-503 persistent: ServerError naming the status, no HTML in the message', async () => {
    const server = await start();
    const c = client(server, { maxRetries: 1 });
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'html-503', path: '/api/state', times: -1 });
    const err = await c.state.get(sessionId).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.message).toContain('HTTP 503 Service Unavailable (HTML body)');
    expect(err.message).not.toContain('<');
  });
  it('upload-reset: the upload is retried by re-opening the file; the server stores one', async () => {
    const server = await start();
    const c = client(server);
    const session = await c.sessions.create();
    server.faults.add({ name: 'upload-reset' });
    const up = await c.uploads.files(session.sessionId, [media.clip()]);
    expect(up.files).toHaveLength(1);
    const s = await stats(server);
    expect(s.requests[`/api/upload-video/nemo_agent/me/${session.sessionId}`]).toBe(2);
    expect(s.uploadsStored).toBe(1);
    expect((await c.state.get(session.sessionId)).state.video_infos).toHaveLength(1);
  });
});

describe('SSE faults', () => {
  it('sse-drop: ConnectionError saying not to resend; the edit landed; nothing was resent', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'sse-drop' });
    const seen: ChatEvent['type'][] = [];
    const err = await (async () => {
      for await (const e of c.chat.send(sessionId, "add title 'Dropped'")) seen.push(e.type);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.hint).toMatch(/do not resend/);
    expect(seen).toContain('toolCall');
    expect(seen).not.toContain('done');
    expect((await stats(server)).runSse[sessionId]).toBe(1);
    const draft = (await c.state.get(sessionId)).state.draft as { t: { tt: number }[] };
    expect(draft.t.some((t) => t.tt === 7)).toBe(true);
  });
  it('sse-garbage: non-JSON lines, a comment and a 10 MB event are skipped; the reply completes', async () => {
    const server = await start();
    const lines: string[] = [];
    const c = client(server, { logger: (l) => lines.push(l) });
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'sse-garbage' });
    const events = await collect(c.chat.send(sessionId, 'trim to 1 seconds'));
    expect(events.some((e) => e.type === 'text' && /^Done: /.test(e.text))).toBe(true);
    expect(events.at(-1)?.type).toBe('done');
    expect(lines.some((l) => l.includes('non-JSON'))).toBe(true);
    expect(lines.some((l) => /dropped/.test(l))).toBe(true);
  });
  it('sse-error: the error frame is yielded as an error event', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'sse-error' });
    const events = await collect(c.chat.send(sessionId, 'trim to 1 seconds'));
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' && error.message.length).toBeGreaterThan(0);
  });
  it('slow-agent with heartbeats only: the idle timeout fires (heartbeats do not reset it)', async () => {
    const server = await start({ heartbeatMs: 20 });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    server.faults.add({ name: 'slow-agent', ms: 5000 });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of c.chat.send(sessionId, 'trim to 1 seconds', { idleTimeoutMs: 400 }))
        seen.push(e.type);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.hint).toMatch(/state/);
    expect(seen.filter((t) => t === 'heartbeat').length).toBeGreaterThan(3);
  });
});

describe('render faults', () => {
  it('render-fail: wait raises RenderFailedError; renderWithRetry resubmits once with a new id', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { draft } = (await c.state.get(sessionId)).state;
    server.faults.add({ name: 'render-fail' });
    const { id } = await c.render.submit({ sessionId, draft });
    const err = await c.render.wait(id).catch((e) => e);
    expect(err).toBeInstanceOf(RenderFailedError);
    expect(err.renderId).toBe(id);
    expect(err.serverMessage).toBeTruthy();

    server.faults.add({ name: 'render-fail' });
    const ids: string[] = [];
    const done = await renderWithRetry(c, { sessionId, draft }, { onSubmit: (rid) => ids.push(rid) });
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(done.status).toBe('completed');
  });
  it('slow-render: progress is reported as it advances until completion', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { draft } = (await c.state.get(sessionId)).state;
    // the server reports min(the engine's fraction, the time share of `ms`): a tiny clip's engine fraction
    // may jump 0 → 1, so the time share must outlast the engine by several polls (≤ 1 s apart) even on a
    // loaded machine
    server.faults.add({ name: 'slow-render', ms: 4000 });
    const { id } = await c.render.submit({ sessionId, draft });
    const progress: number[] = [];
    const done = await c.render.wait(id, {
      pollIntervalMs: 200,
      onProgress: (s) => progress.push(s.progress),
    });
    expect(done.status).toBe('completed');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toBe(100);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
    expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
  });
  it('download-cut: the download resumes with Range and the file is complete', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { draft } = (await c.state.get(sessionId)).state;
    const { id } = await c.render.submit({ sessionId, draft });
    const done = await c.render.wait(id);
    const whole = path.join(media.dir(), `whole-${id}.mp4`);
    await c.render.download(done.url!, whole);
    server.faults.add({ name: 'download-cut' });
    const cut = path.join(media.dir(), `cut-${id}.mp4`);
    const result = await c.render.download(done.url!, cut);
    expect(result.resumes).toBeGreaterThanOrEqual(1);
    expect((await readFile(cut)).equals(await readFile(whole))).toBe(true);
    expect(await ffprobeDuration(cut)).toBeCloseTo(2, 0);
  });
  it('cancel: a running render (renderMinMs knob) becomes cancelled and wait reports it', async () => {
    const server = await start({ renderMinMs: 5000 });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { draft } = (await c.state.get(sessionId)).state;
    const { id } = await c.render.submit({ sessionId, draft });
    expect((await c.render.get(id)).status).toMatch(/^(pending|processing)$/);
    expect((await c.render.cancel(id)).status).toBe('cancelled');
    expect((await c.render.get(id)).status).toBe('cancelled');
    const err = await c.render.wait(id).catch((e) => e);
    expect(err).toBeInstanceOf(RenderFailedError);
    expect(err.message).toMatch(/cancelled/);
  });
  it('a reused render id is refused and the submit retries once with a fresh id', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { draft } = (await c.state.get(sessionId)).state;
    const first = await c.render.submit({ sessionId, draft, id: 'render_dup' });
    expect(first.id).toBe('render_dup');
    const second = await c.render.submit({ sessionId, draft, id: 'render_dup' });
    expect(second.id).not.toBe('render_dup');
    expect((await c.render.wait(second.id)).status).toBe('completed');
  });
  it('a draft the server rejects is a typed ApiError, not retried forever', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const err = await c.render.submit({ sessionId, draft: { nope: true } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect((await stats(server)).requests['/api/render/proxy/lambda']).toBe(2);
  });
});
