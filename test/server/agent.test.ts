import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSilentEdit } from '../../src/server/agent.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { makeClip, makeTone, tempDir } from '../helpers/media.js';
import {
  CLIP,
  call,
  chat,
  newSession,
  newToken,
  readUntilDropped,
  texts,
  uploadFiles,
  waitRender,
} from './fixtures.js';

/** The server's agent: what it does with the engine's plan, files, credits and failures. */
let server: RunningServer;
let base: string;
let clip: string;
let song: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  clip = await makeClip(join(tmp.dir, 'clip.mp4'), CLIP);
  song = await makeTone(join(tmp.dir, 'song.wav'), 3);
  server = await startServer({ heartbeatMs: 20 });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

async function session(files: { name: string; path: string }[] = [{ name: 'clip.mp4', path: clip }]) {
  const token = await newToken(base);
  const sid = await newSession(base, token);
  if (files.length) expect((await uploadFiles(base, token, sid, files)).status).toBe(200);
  const credits = async () => (await call(base, 'GET', '/api/credits/balance/simple', { token })).json.data;
  const state = async () =>
    (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data.state;
  return { token, sid, credits, state };
}

// biome-ignore lint/suspicious/noExplicitAny: raw protocol JSON
const toolResults = (events: any[]) =>
  events.flatMap((e) => e.content?.parts?.filter((p: object) => 'functionResponse' in p) ?? []);

describe('silent edits', () => {
  it('picks the share of silent edits deterministically from the edit count', () => {
    const silent = (f: number) =>
      Array.from({ length: 10 }, (_, i) => i + 1).filter((n) => isSilentEdit(n, f));
    expect(silent(0)).toEqual([]);
    expect(silent(0.3)).toEqual([4, 7, 10]);
    expect(silent(0.5)).toEqual([2, 4, 6, 8, 10]);
    expect(silent(1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('the agent', () => {
  it('uses an uploaded audio file named in the text, and renders it', async () => {
    const s = await session([
      { name: 'clip.mp4', path: clip },
      { name: 'song.wav', path: song },
    ]);
    const r = await chat(base, s.token, s.sid, 'add music song.wav');
    expect(toolResults(r.events)[0].functionResponse.response.status).toBe('success');
    const state = await s.state();
    const music = state.draft.t.find((t: { tt: number }) => t.tt === 1);
    expect(music.sg[0].m.src).toBe(state.video_infos[1].cdn_url); // a URL of this server, not a disk path
    const id = `render_${randomUUID()}`;
    await call(base, 'POST', '/api/render/proxy/lambda', {
      token: s.token,
      json: { id, sessionId: s.sid, draft: state.draft },
    });
    expect((await waitRender(base, s.token, id)).json.data.status).toBe('completed');
  });

  it('refuses files that were not uploaded, says why, and charges nothing', async () => {
    const s = await session();
    for (const text of ['add background music', 'add music /etc/secret.mp3', 'apply the LUT grade.cube']) {
      const r = await chat(base, s.token, s.sid, text);
      expect(toolResults(r.events)[0].functionResponse.response.status, text).toBe('error');
      expect(texts(r.events).at(-1), text).toMatch(
        /^I couldn't apply that edit: .+\. The draft is unchanged\.$/,
      );
    }
    expect(await s.credits()).toEqual({ available: 100, frozen: 0, total: 100 });
    expect((await s.state()).draft.t).toHaveLength(1);
  });

  it('freezes the edit charge while working, takes it once per session', async () => {
    const s = await session();
    server.faults.add({ name: 'slow-agent', ms: 1500 });
    const reply = chat(base, s.token, s.sid, 'cut the first 0.5 seconds');
    let frozen = 0;
    for (let i = 0; i < 200 && frozen === 0; i++) {
      frozen = (await s.credits()).frozen;
      if (frozen === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(frozen).toBe(50);
    await reply;
    expect(await s.credits()).toEqual({ available: 50, frozen: 0, total: 50 });
    await chat(base, s.token, s.sid, "add title 'Again'");
    expect(await s.credits()).toEqual({ available: 50, frozen: 0, total: 50 });
  });

  it('runs two messages of one session one after the other', async () => {
    const s = await session();
    // The first edit runs an analysis pass (silencedetect); the second arrives while it works.
    const first = await request(`${base}/run_sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        session_id: s.sid,
        new_message: { parts: [{ text: "trim silences, add title 'First'" }] },
      }),
    });
    let seen = '';
    const reader = first.body[Symbol.asyncIterator]();
    while (!seen.includes('functionCall')) seen += String((await reader.next()).value);
    const second = await chat(base, s.token, s.sid, "add lower third 'Second'");
    for (let r = await reader.next(); !r.done; r = await reader.next()) seen += String(r.value);
    expect(seen).toContain('"status":"success"');
    expect(toolResults(second.events)[0].functionResponse.response.status).toBe('success');
    const words = (await s.state()).draft.t.flatMap((t: { sg: { m?: { text?: string } }[] }) =>
      t.sg.map((g) => g.m?.text).filter(Boolean),
    );
    expect(words.sort()).toEqual(['First', 'Second']);
  });

  it('charges an edit whose stream was dropped: it landed', async () => {
    const s = await session();
    server.faults.add({ name: 'sse-drop' });
    await readUntilDropped(`${base}/run_sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        session_id: s.sid,
        new_message: { parts: [{ text: 'cut the first 0.5 seconds' }] },
      }),
    });
    expect((await s.credits()).available).toBe(50);
  });

  it('applies the clauses it knows and says which it cannot do', async () => {
    const s = await session();
    const r = await chat(
      base,
      s.token,
      s.sid,
      'cut the first 0.5 seconds and make it look like a Pixar movie',
    );
    const said = texts(r.events);
    expect(said[0]).toMatch(
      /^I can't do "make it look like a Pixar movie" yet; I'll apply the rest\. I can: /,
    );
    expect(toolResults(r.events)[0].functionResponse.response.status).toBe('success');
    expect(said.at(-1)).toMatch(/^Done: /);
  });

  it('records each SSE frame it writes in the in-process stats() sseWrites', async () => {
    const s = await session();
    const r = await chat(base, s.token, s.sid, "add title 'Stats'");
    const writes = server.stats().sseWrites.filter((w) => w.sessionId === s.sid);
    const kinds = writes.map((w) => w.kind).filter((k) => k !== 'heartbeat');
    expect(kinds).toEqual(['toolCall', 'toolResult', 'text']);
    expect(writes.find((w) => w.kind === 'text')?.text).toBe(texts(r.events).at(-1));
    const seqs = writes.map((w) => w.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const w of writes) expect(w.writtenAt).toBeGreaterThan(1.7e12);
  });

  it('works at least agentMinMs on each message, with heartbeats only meanwhile', async () => {
    const slow = await startServer({ agentMinMs: 200, heartbeatMs: 20, heartbeatForm: 'empty' });
    try {
      const token = await newToken(slow.url);
      const sid = await newSession(slow.url, token);
      const r = await chat(slow.url, token, sid, 'hello');
      const before = r.data.slice(
        0,
        r.data.findIndex((d) => d !== ''),
      );
      expect(before.length).toBeGreaterThanOrEqual(2); // empty `data:` heartbeats first
      expect(texts(r.events)[0]).toMatch(/^Hi! /);
    } finally {
      await slow.close();
    }
  });

  it('points an export-only instruction at the export', async () => {
    const s = await session();
    const r = await chat(base, s.token, s.sid, 'export');
    expect(texts(r.events).join(' ')).toMatch(/ready to export/);
    expect(toolResults(r.events)).toEqual([]);
  });
});
