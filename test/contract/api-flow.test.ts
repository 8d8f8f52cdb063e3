import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/api/sse-events.js';
import { parseDraft } from '../../src/timeline/index.js';
import {
  collect,
  ffprobeDuration,
  MemoryStore,
  mediaFixture,
  projectWithClip,
  serveFixture,
  stats,
} from './helpers.js';

/** The typed client against `nemo serve`: every endpoint, and every shape knob of the server. */
const media = mediaFixture();
const { start, client } = serveFixture();
const typesOf = (events: ChatEvent[]) => events.map((e) => e.type).filter((t) => t !== 'heartbeat');

describe('the whole flow through the client (default shapes: ADK events, v44 poll)', () => {
  it('token → session → upload → chat → state → credits → render → wait → download → claim link', async () => {
    const server = await start();
    const store = new MemoryStore();
    const c = client(server, { credentials: store });

    const session = await c.sessions.create();
    expect(session.sessionId).toMatch(/^\d{19}$/);
    expect(session.taskId).toMatch(/^task_/);
    expect(session.userId).toMatch(/^anon_/);
    expect(store.saved).toHaveLength(1);
    expect(store.saved[0]).toMatchObject({ anonymous: true, credits: 100 });
    expect(store.saved[0].token).toMatch(/^nmv_usr_/);
    expect(c.auth.source).toBe('anonymous');

    const progress: number[] = [];
    const up = await c.uploads.files(session.sessionId, [media.clip()], {
      onProgress: (p) => progress.push(p.sentBytes),
    });
    expect(up.files).toHaveLength(1);
    expect(up.files[0]).toMatchObject({ filename: 'clip.mp4', fileType: 'video' });
    expect(up.files[0].url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\//);
    expect(up.files[0].duration).toBeCloseTo(2, 0);
    expect(progress.length).toBeGreaterThan(0);

    const before = await c.state.get(session.sessionId);
    expect(before.state.video_infos).toHaveLength(1);
    expect(parseDraft(before.state.draft)?.t).toHaveLength(1);

    const events = await collect(c.chat.send(session.sessionId, "cut the first 1 second, add title 'Hi'"));
    expect(typesOf(events)).toEqual(['toolCall', 'toolResult', 'stateDelta', 'text', 'done']);
    const call = events.find((e) => e.type === 'toolCall');
    expect(call).toMatchObject({ name: 'edit_multitrack' });
    const text = events.find((e) => e.type === 'text');
    expect(text && 'text' in text && text.text).toMatch(/^Done: /);
    expect(events.at(-1)).toMatchObject({ type: 'done', textSeen: true, toolCalls: 1 });

    const after = await c.state.get(session.sessionId);
    expect(after.sessionId).toBe(session.sessionId);
    const draft = parseDraft(after.state.draft)!;
    expect(draft.t.find((t) => t.tt === 7)?.sg[0].m?.text).toBe('Hi');
    expect(await c.credits.get()).toEqual({ available: 50, frozen: 0, total: 50 });

    const { id } = await c.render.submit({ sessionId: session.sessionId, draft: after.state.draft });
    expect(id).toMatch(/^render_/);
    const seen: string[] = [];
    const done = await c.render.wait(id, { onProgress: (s) => seen.push(s.status) });
    expect(done.status).toBe('completed');
    expect(seen.at(-1)).toBe('completed');
    const out = path.join(media.dir(), 'flow-out.mp4');
    const dl = await c.render.download(done.url!, out);
    expect(dl.bytes).toBeGreaterThan(1000);
    expect(await ffprobeDuration(out)).toBeCloseTo(1, 0);

    const link = await c.auth.claimToken({ taskId: session.taskId, sessionId: session.sessionId });
    expect(link.claimToken).toMatch(/^clm_/);
    expect(link.url).toBe(`https://nemovideo.com/workspace/claim?ct=${link.claimToken}`);
    expect(link.url).not.toContain('nmv_usr');

    const s = await stats(server);
    expect(s.requests['/api/auth/anonymous-token']).toBe(1);
    expect(s.runSse[session.sessionId]).toBe(1);
  });

  it('the draft goes to render as the server sent it, and the render id fallback download works', async () => {
    const server = await start({ renderShape: 'v19' });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const { state } = await c.state.get(sessionId);
    const { id } = await c.render.submit({ sessionId, draft: state.draft });
    const done = await c.render.wait(id);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.raw).toHaveProperty('output.url');
    const out = path.join(media.dir(), 'by-id.mp4');
    await c.render.download(id, out);
    expect(await ffprobeDuration(out)).toBeCloseTo(2, 0);
  });

  it('a file name with quotes and non-ASCII characters reaches the server intact', async () => {
    const server = await start();
    const c = client(server);
    const session = await c.sessions.create();
    const odd = path.join(media.dir(), 'clïp "1".mp4');
    await copyFile(media.clip(), odd);
    const up = await c.uploads.files(session.sessionId, [odd]);
    expect(up.files[0].filename).toBe('clïp "1".mp4');
  });
  it('URL import of the server’s own media URL', async () => {
    const server = await start();
    const c = client(server);
    const session = await c.sessions.create();
    const up = await c.uploads.files(session.sessionId, [media.clip()]);
    const other = await c.sessions.create();
    const imported = await c.uploads.urls(other.sessionId, [up.files[0].url!]);
    expect(imported.files.length + (imported.sessionStateApplied ? 1 : 0)).toBeGreaterThan(0);
    expect((await c.state.get(other.sessionId)).state.video_infos).toHaveLength(1);
  });
});

describe('SSE shape knobs', () => {
  it('typed events (sseShape: typed) decode to the same typed events', async () => {
    const server = await start({ sseShape: 'typed' });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const events = await collect(c.chat.send(sessionId, 'trim to 1 seconds'));
    const kinds = typesOf(events);
    expect(kinds).toContain('toolCall');
    expect(kinds).toContain('toolResult');
    expect(kinds.filter((k) => k === 'text')).toHaveLength(1);
    expect(kinds.at(-1)).toBe('done');
  });
  it.each(['comment', 'empty', 'typed'] as const)(
    'heartbeats as %s are yielded as heartbeat events',
    async (form) => {
      const server = await start({ heartbeatForm: form, heartbeatMs: 5, renderMinMs: 0 });
      const c = client(server);
      const { sessionId } = await projectWithClip(c, media.clip());
      // A slow agent turn: only heartbeats for a while, then the answer.
      server.faults.add({ name: 'slow-agent', ms: 150 });
      const events = await collect(c.chat.send(sessionId, 'trim to 1 seconds'));
      expect(events.filter((e) => e.type === 'heartbeat').length).toBeGreaterThan(3);
      expect(events.at(-1)?.type).toBe('done');
    },
  );
  it('silent edits (silentFraction: 1): tool events and a stateDelta, no text', async () => {
    const server = await start({ silentFraction: 1 });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const events = await collect(c.chat.send(sessionId, 'trim to 1 seconds'));
    expect(events.some((e) => e.type === 'text')).toBe(false);
    expect(events.some((e) => e.type === 'stateDelta')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', textSeen: false, toolCalls: 1 });
  });
  it('a trailing apology after a normal reply is flagged, not counted as the answer', async () => {
    const server = await start({ trailingApology: true });
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const texts = (await collect(c.chat.send(sessionId, 'trim to 1 seconds'))).filter(
      (e) => e.type === 'text',
    );
    expect(texts.length).toBe(2);
    expect(texts[0]).not.toHaveProperty('apology');
    expect(texts[1]).toMatchObject({ apology: true });
    expect(texts[1].type === 'text' && texts[1].text).toMatch(/I encountered a temporary issue/);
  });
  it('an instruction the agent cannot do gets an honest text reply', async () => {
    const server = await start();
    const c = client(server);
    const { sessionId } = await projectWithClip(c, media.clip());
    const events = await collect(c.chat.send(sessionId, 'make it look like a 1970s film with a dragon'));
    const text = events.find((e) => e.type === 'text');
    expect(text?.type === 'text' && text.text).toBeTruthy();
    expect(text?.type === 'text' && text.text).not.toMatch(/^Done: /);
    expect(events.some((e) => e.type === 'stateDelta')).toBe(false);
  });
});
