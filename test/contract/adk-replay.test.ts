import { describe, expect, it } from 'vitest';
import { SessionNotFoundError, TimeoutError } from '../../src/api/errors.js';
import type { ChatEvent } from '../../src/api/sse-events.js';
import { brokenErrorFrame } from '../../src/api/sse-events.js';
import { BoundedSseReader } from '../../src/api/sse-reader.js';
import {
  CAPTURES,
  type CaptureName,
  captureBytes,
  frameEnds,
  startAdkReplay,
} from '../helpers/adk-replay.js';
import { loopback } from '../helpers/http.js';

/** The client library against the captures of a real ADK server, replayed byte for byte over HTTP. */

const { client, track } = loopback();

async function replay(
  name: CaptureName,
  opts: { pauseMs?: number; idleTimeoutMs?: number; streaming?: boolean } = {},
) {
  const s = await startAdkReplay([{ capture: name, pauseMs: opts.pauseMs }]);
  const c = track(client(s.url));
  const { sessionId } = await c.sessions.create();
  const events: ChatEvent[] = [];
  let error: unknown;
  try {
    for await (const e of c.chat.send(sessionId, `scenario [${name}]`, opts)) events.push(e);
  } catch (err) {
    error = err;
  }
  await s.close();
  return { events, error, runs: s.runs() };
}

const texts = (events: ChatEvent[]) =>
  events.filter((e): e is Extract<ChatEvent, { type: 'text' }> => e.type === 'text');

describe('ADK captures through the client (real HTTP, bytes as recorded)', () => {
  it('the fixtures in the repo are the shared captures, frames ending with a blank line', () => {
    for (const name of CAPTURES) {
      const bytes = captureBytes(name);
      expect(bytes.subarray(0, 6).toString(), name).toBe('data: ');
      expect(frameEnds(bytes).at(-1), name).toBe(bytes.length);
    }
  });

  it('the request is what ADK clients send: role "user", no streaming flag unless asked', async () => {
    const plain = await replay('plain');
    expect(plain.runs[0]).toMatchObject({
      app_name: 'nemo_agent',
      new_message: { role: 'user', parts: [{ text: 'scenario [plain]' }] },
    });
    expect(plain.runs[0]).not.toHaveProperty('streaming');
    const live = await replay('stream', { streaming: true });
    expect(live.runs[0]).toMatchObject({ streaming: true, new_message: { role: 'user' } });
  });

  it('plain: one text, the draft in a stateDelta, done', async () => {
    const { events, error } = await replay('plain');
    expect(error).toBeUndefined();
    expect(texts(events).map((t) => t.text)).toEqual([
      'I trimmed the clip to 3 seconds and kept the tone underneath.',
    ]);
    expect(events.some((e) => e.type === 'stateDelta' && 'draft' in e.delta)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'done', textSeen: true, toolCalls: 0 });
  });

  it('stream: five partial chunks, then the whole text once, marked as replacing them', async () => {
    const { events } = await replay('stream', { streaming: true });
    const t = texts(events);
    expect(t.filter((x) => x.partial)).toHaveLength(5);
    const final = t.filter((x) => !x.partial);
    expect(final).toHaveLength(1);
    expect(final[0]).toMatchObject({ replacesPartial: true });
    expect(
      t
        .filter((x) => x.partial)
        .map((x) => x.text)
        .join(''),
    ).toBe(final[0]?.text);
  });

  it('tool: the call and its result are paired by id; then the text', async () => {
    const { events } = await replay('tool');
    const call = events.find((e) => e.type === 'toolCall');
    const result = events.find((e) => e.type === 'toolResult');
    expect(call).toMatchObject({ name: 'edit_multitrack', id: expect.stringMatching(/^adk-/) });
    expect(call).not.toHaveProperty('longRunning');
    expect(result).toMatchObject({ name: 'edit_multitrack', id: (call as { id: string }).id });
    expect(texts(events).map((x) => x.text)).toEqual([
      'Done: I added the title "Hello" over the first 2 seconds.',
    ]);
  });

  it('silent: tool events and a draft, no text', async () => {
    const { events } = await replay('silent');
    expect(texts(events)).toEqual([]);
    expect(events.at(-1)).toEqual({ type: 'done', textSeen: false, toolCalls: 1 });
  });

  it('long: the call is marked long-running (longRunningToolIds); the silence is waited out', async () => {
    const { events, error } = await replay('long', { pauseMs: 1500 });
    expect(error).toBeUndefined();
    expect(events.find((e) => e.type === 'toolCall')).toMatchObject({
      name: 'generate_video_with_seedance',
      longRunning: true,
    });
    expect(texts(events).map((x) => x.text)).toEqual([
      'Your generated video is ready and placed on the timeline.',
    ]);
  });

  it('long past the idle limit: a timeout that does not claim heartbeats came (none did)', async () => {
    const { error } = await replay('long', { pauseMs: 3000, idleTimeoutMs: 600 });
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('No data from the agent for 600 ms (no event, no heartbeat)');
  });

  it('crashtext: text, then the error frame, yielded as an error after the text', async () => {
    const { events } = await replay('crashtext');
    expect(events.map((e) => e.type)).toEqual([
      'toolCall',
      'toolResult',
      'stateDelta',
      'text',
      'error',
      'done',
    ]);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ message: 'render graph crashed' });
  });

  it('crashq: the broken f-string error frame is still an error, its whole text kept', async () => {
    const { events } = await replay('crashq');
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'invalid segment "title-1": end 2000 > duration\nat track 7',
    });
    expect(errors[0]).not.toHaveProperty('code');
  });

  it('errcode: errorCode/errorMessage is an error with the code ADK sent', async () => {
    const { events } = await replay('errcode');
    expect(events.filter((e) => e.type === 'error')).toMatchObject([
      { message: 'The response was blocked for safety reasons.', code: 'SAFETY' },
    ]);
  });

  it("ADK's 404 for an unknown session: SessionNotFoundError with the server's words once, no body code", async () => {
    const s = await startAdkReplay([{ lose: true }]);
    const c = track(client(s.url));
    const { sessionId } = await c.sessions.create();
    const err = await (async () => {
      for await (const _ of c.chat.send(sessionId, 'hi'));
    })().catch((e) => e);
    await s.close();
    expect(err).toBeInstanceOf(SessionNotFoundError);
    expect(err.message).toBe('Session not found');
    expect(err.status).toBe(404);
    expect(err.serverCode).toBe(404); // the HTTP status: the body had no code
  });
});

describe('broken error frames (ADK 1.x f-string)', () => {
  it('the continuation line without "data:" reaches the consumer as a stray line of that event', () => {
    const got: { data: string; stray: string[] }[] = [];
    const reader = new BoundedSseReader(
      {
        onMessage: (m, stray) => got.push({ data: m.data, stray }),
        onComment: () => {},
        onDropped: () => {},
      },
      1024,
    );
    reader.feed(captureBytes('crashq'));
    reader.end();
    expect(got).toHaveLength(2);
    expect(got[0]?.stray).toEqual([]);
    expect(got[1]).toEqual({
      data: '{"error": "invalid segment "title-1": end 2000 > duration',
      stray: ['at track 7"}'],
    });
  });
  it('brokenErrorFrame: only data that starts as an error object', () => {
    expect(brokenErrorFrame('{"error": "a "b" c"}')).toMatchObject({ type: 'error', message: 'a "b" c' });
    expect(brokenErrorFrame('{"error": unquoted thing}')).toMatchObject({ message: 'unquoted thing' });
    expect(brokenErrorFrame('{"text": "not an error')).toBeUndefined();
    expect(brokenErrorFrame('this is not json')).toBeUndefined();
  });
});
