import { randomUUID } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { makeClip, probeStreams, tempDir } from '../helpers/media.js';
import {
  ATTRIBUTION,
  adminCall,
  CLIP,
  call,
  chat,
  newSession,
  newToken,
  texts,
  uploadFiles,
  waitRender,
} from './fixtures.js';

/** The seeds' own flow, in raw HTTP: token → session → upload → run_sse → state → render → poll → download. */
let dir: string;
let clip: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  ({ dir, cleanup } = tmp);
  clip = await makeClip(join(dir, 'clip.mp4'), CLIP);
});
afterAll(() => cleanup?.());

// biome-ignore lint/suspicious/noExplicitAny: raw protocol JSON
const partsOf = (events: any[], key: string) =>
  events.flatMap((e) => (e.content?.parts ?? []).filter((p: object) => key in p));

describe('seeds flow against nemo serve (ADK events, v44 poll)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ heartbeatMs: 20 });
  });
  afterAll(() => server?.close());

  it('edits with the engine and renders a real MP4 one second shorter', async () => {
    const base = server.url;
    const token = await newToken(base);
    const sid = await newSession(base, token);
    const up = await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);
    expect(up.status).toBe(200);
    const before = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state.draft;

    const sse = await chat(base, token, sid, "cut the first 1 second, add title 'Hi'");
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.garbage).toEqual([]);
    const calls = partsOf(sse.events, 'functionCall');
    expect(calls).toHaveLength(1);
    expect(calls[0].functionCall.name).toBe('edit_multitrack');
    expect(calls[0].functionCall.args.instruction).toBe("cut the first 1 second, add title 'Hi'");
    expect(calls[0].functionCall.args.ops.map((o: { op: string }) => o.op)).toEqual(['cutStart', 'title']);
    const responses = partsOf(sse.events, 'functionResponse');
    expect(responses).toHaveLength(1);
    expect(responses[0].functionResponse.response.status).toBe('success');
    expect(responses[0].functionResponse.response.notes).toHaveLength(2);
    const responseEvent = sse.events.find((e) => e.content?.parts?.[0]?.functionResponse);
    expect(responseEvent.content.role).toBe('user');
    expect(responseEvent.actions.stateDelta.draft.t.length).toBeGreaterThan(before.t.length);
    const final = texts(sse.events).at(-1)!;
    expect(final).toMatch(/^Done: /);
    expect(final).toMatch(/Timeline \(2 tracks\): 1\. Video: .* 2\. Title: "Hi"/);
    expect(new Set(sse.events.map((e) => e.invocationId)).size).toBe(1);

    const state = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state;
    expect(state.draft).toEqual(responseEvent.actions.stateDelta.draft);
    expect(state.draft.t.find((t: { tt: number }) => t.tt === 7).sg[0].m.text).toBe('Hi');
    const credits = (await call(base, 'GET', '/api/credits/balance/simple', { token })).json.data;
    expect(credits).toEqual({ available: 50, frozen: 0, total: 50 });

    const id = `render_${randomUUID()}`;
    const submit = await call(base, 'POST', '/api/render/proxy/lambda', {
      token,
      json: { id, sessionId: sid, draft: state.draft, output: { format: 'mp4', quality: 'low' } },
    });
    expect(submit.json).toEqual({ success: true, data: { id, status: 'pending', progress: 0 } });
    const done = await waitRender(base, token, id);
    expect(done.json.success).toBe(true);
    const d = done.json.data;
    expect(d).toMatchObject({
      id,
      status: 'completed',
      progress: 100,
      outputUrl: expect.stringMatching(new RegExp(`^${base}/renders/[0-9a-f]{32}/${id}\\.mp4$`)),
    });
    expect(d.completedAt).toBeGreaterThanOrEqual(d.createdAt);
    expect(d.createdAt).toBeGreaterThan(1.7e12); // ms

    const file = await call(base, 'GET', new URL(d.outputUrl).pathname);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('video/mp4');
    expect(Number(file.headers['content-length'])).toBe(file.body.length);
    const out = join(dir, 'out.mp4');
    await writeFile(out, file.body);
    const probe = await probeStreams(out);
    expect(probe.streams.map((s) => s.codec_type)).toEqual(expect.arrayContaining(['video', 'audio']));
    expect(Number(probe.format.duration)).toBeGreaterThan(0.8);
    expect(Number(probe.format.duration)).toBeLessThan(1.25);

    const initPath = await call(base, 'GET', `/api/render/proxy/${id}`, { token });
    expect(initPath.json).toEqual(done.json);
    const fallback = await call(base, 'GET', `/api/render/proxy/${id}/download`, { token });
    expect(fallback.status).toBe(200);
    expect(fallback.body.equals(file.body)).toBe(true);
    const range = await call(base, 'GET', new URL(d.outputUrl).pathname, {
      headers: { range: 'bytes=100-' },
    });
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 100-${file.body.length - 1}/${file.body.length}`);
    expect(range.body.equals(file.body.subarray(100))).toBe(true);

    const stats = server.stats();
    expect(stats.renders).toContain(id);
    expect(stats.lastRenderCompletedAt).toBe(d.completedAt);
    expect(stats.runSse[sid]).toBe(1);
    expect(stats.uploadsStored).toBe(1);
  });
});

describe('registered renders (benchmarks)', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(dir, 'registered-data');
    server = await startServer({ admin: true, dataDir });
  });
  afterAll(() => server?.close());

  it('serves an existing file as a completed render, in place', async () => {
    const base = server.url;
    const token = await newToken(base);
    const inside = join(dataDir, 'clip.mp4');
    await copyFile(clip, inside);
    const reg = await adminCall(server, 'POST', '/_nemo/renders', { json: { path: inside } });
    expect(reg.status).toBe(200);
    const { id, url } = reg.json;
    expect(url).toMatch(new RegExp(`^${base}/renders/[0-9a-f]{32}/${id}\\.mp4$`));
    const poll = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
    expect(poll.json.data).toMatchObject({ id, status: 'completed', progress: 100, outputUrl: url });
    const bytes = await readFile(clip);
    expect((await call(base, 'GET', new URL(url).pathname)).body.equals(bytes)).toBe(true);
    const dl = await call(base, 'GET', `/api/render/proxy/${id}/download`, { token });
    expect(dl.body.equals(bytes)).toBe(true);
    const viaApi = await server.registerRender(clip);
    expect(viaApi.id).not.toBe(id);
    const missing = await adminCall(server, 'POST', '/_nemo/renders', {
      json: { path: join(dataDir, 'nope.mp4') },
    });
    expect(missing.status).toBe(400);
  });
});

describe('the other shapes: typed SSE, v19 poll, silent edits, trailing apology, cancel', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      sseShape: 'typed',
      renderShape: 'v19',
      heartbeatMs: 5,
      heartbeatForm: 'typed',
      silentFraction: 0.5,
      trailingApology: true,
      renderMinMs: 400,
    });
  });
  afterAll(() => server?.close());

  it('speaks the type-tagged shape, makes every second edit silent, and polls in v19', async () => {
    const base = server.url;
    const token = await newToken(base);
    const sid = await newSession(base, token);
    await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);

    const first = await chat(base, token, sid, 'trim to 1.5 seconds');
    const types = first.events.map((e) => e.type);
    expect(types).toContain('tool_call');
    expect(types).toContain('tool_result');
    expect(first.events.find((e) => e.type === 'tool_call').name).toBe('edit_multitrack');
    expect(first.events.find((e) => e.type === 'tool_result').result.status).toBe('success');
    const firstTexts = texts(first.events);
    expect(firstTexts[0]).toMatch(/^Done: /);
    expect(firstTexts.at(-1)).toMatch(/^I encountered a temporary issue/);

    const second = await chat(base, token, sid, 'cut the first 0.5 seconds');
    expect(second.events.map((e) => e.type).filter((t) => t !== 'heartbeat')).toEqual([
      'tool_call',
      'tool_result',
    ]);
    const state = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state;

    const id = `render_${randomUUID()}`;
    await call(base, 'POST', '/api/render/proxy/lambda', {
      token,
      json: { id, sessionId: sid, draft: state.draft },
    });
    const seen: number[] = [];
    let body: { status: string; progress: number; output?: { url: string } };
    for (;;) {
      body = (await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token })).json;
      seen.push(body.progress);
      if (body.status === 'completed' || body.status === 'failed') break;
      expect(body.output).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body.status).toBe('completed');
    expect(body.progress).toBe(100);
    expect(body.output!.url).toMatch(new RegExp(`^${base}/renders/[0-9a-f]{32}/${id}\\.mp4$`));
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // progress never goes back
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true);
  });

  it('cancels a running render', async () => {
    const base = server.url;
    const token = await newToken(base);
    const sid = await newSession(base, token);
    await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }]);
    const draft = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
      .state.draft;
    const id = `render_${randomUUID()}`;
    await call(base, 'POST', '/api/render/proxy/lambda', { token, json: { id, sessionId: sid, draft } });
    const cancel = await call(base, 'POST', `/api/render/proxy/lambda/${id}/cancel`, { token });
    expect(cancel.json).toEqual({ success: true, data: { id, status: 'cancelled' } });
    const poll = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
    expect(poll.json.status).toBe('cancelled');
    const dl = await call(base, 'GET', `/api/render/proxy/${id}/download`, { token });
    expect(dl.status).toBe(409);
    const cdn = await call(base, 'GET', `/renders/${id}.mp4`, { headers: ATTRIBUTION });
    expect(cdn.status).toBe(404);
  });
});
