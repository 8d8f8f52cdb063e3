import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { NemoClient } from '../../src/api/client.js';
import {
  AbortError,
  ConnectionError,
  InsufficientCreditsError,
  SessionNotFoundError,
  TimeoutError,
} from '../../src/api/errors.js';
import { type ChatEvent, eventsFromFrame } from '../../src/api/sse-events.js';
import { BoundedSseReader } from '../../src/api/sse-reader.js';
import { loopback, sendJson } from '../helpers/http.js';

const adk = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
  content: { parts, role: 'model' },
  author: 'nemo_agent',
  actions: { stateDelta: {}, artifactDelta: {}, requestedAuthConfigs: {} },
  ...extra,
});
const frame = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

describe('eventsFromFrame', () => {
  it('ADK parts: text (skipping thoughts), functionCall, functionResponse, stateDelta', () => {
    const events = eventsFromFrame(
      adk(
        [
          { text: 'thinking…', thought: true },
          { text: 'Hello' },
          { functionCall: { id: 'c1', name: 'edit_multitrack', args: { a: 1 } } },
          { functionResponse: { id: 'c1', name: 'edit_multitrack', response: { ok: true } } },
        ],
        { actions: { stateDelta: { draft: { t: [] } } } },
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['text', 'toolCall', 'toolResult', 'stateDelta']);
    expect(events[0]).toMatchObject({ text: 'Hello', author: 'nemo_agent' });
    expect(events[1]).toMatchObject({ name: 'edit_multitrack', args: { a: 1 }, id: 'c1' });
    expect(events[2]).toMatchObject({ name: 'edit_multitrack', response: { ok: true }, id: 'c1' });
    expect(events[3]).toMatchObject({ delta: { draft: { t: [] } } });
  });
  it('snake_case state_delta; an empty stateDelta yields nothing', () => {
    expect(eventsFromFrame({ actions: { state_delta: { x: 1 } } })).toMatchObject([{ type: 'stateDelta' }]);
    expect(eventsFromFrame(adk([]))).toEqual([]);
  });
  it('type-tagged frames', () => {
    expect(eventsFromFrame({ type: 'text', content: 'Hi' })).toMatchObject([{ type: 'text', text: 'Hi' }]);
    expect(eventsFromFrame({ type: 'chunk', text: 'Hi' })).toMatchObject([{ type: 'text', text: 'Hi' }]);
    expect(eventsFromFrame({ type: 'tool_call', name: 'gen', args: { p: 1 } })).toMatchObject([
      { type: 'toolCall', name: 'gen', args: { p: 1 } },
    ]);
    expect(eventsFromFrame({ type: 'tool_start', tool: 'gen' })).toMatchObject([
      { type: 'toolCall', name: 'gen' },
    ]);
    expect(eventsFromFrame({ type: 'tool_result', name: 'gen', result: { r: 2 } })).toMatchObject([
      { type: 'toolResult', name: 'gen', response: { r: 2 } },
    ]);
    expect(eventsFromFrame({ type: 'toolcall_end', tool_name: 'gen' })).toMatchObject([
      { type: 'toolResult' },
    ]);
    expect(eventsFromFrame({ type: 'heartbeat' })).toEqual([{ type: 'heartbeat' }]);
    expect(eventsFromFrame({ type: 'ping' })).toEqual([{ type: 'heartbeat' }]);
  });
  it('errors: {"error":…}, errorCode/errorMessage, {type:"error"}', () => {
    expect(eventsFromFrame({ error: 'boom' })).toMatchObject([{ type: 'error', message: 'boom' }]);
    expect(eventsFromFrame({ error: { message: 'deep', code: 'E1' } })).toMatchObject([
      { type: 'error', message: 'deep', code: 'E1' },
    ]);
    expect(eventsFromFrame({ errorCode: 'SAFETY', errorMessage: 'blocked' })).toMatchObject([
      { type: 'error', code: 'SAFETY', message: 'blocked' },
    ]);
    expect(eventsFromFrame({ type: 'error', message: 'typed' })).toMatchObject([
      { type: 'error', message: 'typed' },
    ]);
  });
  it('fallback: top-level text', () => {
    expect(eventsFromFrame({ text: 'plain' })).toMatchObject([{ type: 'text', text: 'plain' }]);
    expect(eventsFromFrame({ unrelated: 1 })).toEqual([]);
  });
});

describe('BoundedSseReader framing', () => {
  const stream =
    ': ping\n\n' +
    'data: {"a":1}\n\n' +
    'data: {"b":\r\ndata: 2}\r\n\r\n' +
    'data:\n\n' +
    'event: message\nid: 7\ndata: x\n\n' +
    'data: {"c":3}\r\rdata: last\n\n';
  function collect(chunks: (string | Uint8Array)[]) {
    const out: string[] = [];
    const reader = new BoundedSseReader(
      {
        onMessage: (m) => out.push(`m:${m.data}`),
        onComment: (c) => out.push(`c:${c}`),
        onDropped: () => out.push('drop'),
      },
      1024,
    );
    for (const c of chunks) reader.feed(c);
    return out;
  }
  const expected = ['c:ping', 'm:{"a":1}', 'm:{"b":\n2}', 'm:', 'm:x', 'm:{"c":3}', 'm:last'];
  it('parses comments, CRLF, CR, multi-line data, empty data', () => {
    expect(collect([stream])).toEqual(expected);
  });
  it('gives the same result when split at every byte boundary', () => {
    for (let i = 1; i < stream.length; i++) {
      expect(collect([stream.slice(0, i), stream.slice(i)])).toEqual(expected);
    }
    expect(collect(stream.split(''))).toEqual(expected);
  });
  it('decodes UTF-8 split inside a character, fed as bytes at every boundary', () => {
    const bytes = Buffer.from('data: {"t":"héllo 🎬"}\r\n\r\n: ping\n\ndata: ✓\n\n', 'utf8');
    const want = ['m:{"t":"héllo 🎬"}', 'c:ping', 'm:✓'];
    for (let i = 1; i < bytes.length; i++) {
      expect(collect([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(want);
    }
  });
  it('drops an oversized event and resumes after it, at any split', () => {
    const big = `data: {"big":"${'x'.repeat(5000)}"}\r\n\r\n`;
    const text = `data: 1\n\n${big}data: 2\n\n`;
    for (const size of [1, 7, 100, 1000, 4096, text.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const out = collect(chunks);
      expect(out.filter((e) => e.startsWith('m:'))).toEqual(['m:1', 'm:2']);
    }
  });
});

const { serve, client, track } = loopback();

async function sseServer(write: (res: ServerResponse, closed: { value: boolean }) => Promise<void> | void) {
  const closed = { value: false };
  const s = await serve(async (req, res, rec) => {
    if (rec.url === '/api/auth/anonymous-token')
      return sendJson(res, 200, { code: 0, data: { token: 'nmv_usr_new' } });
    res.on('close', () => {
      closed.value = true;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    await write(res, closed);
    if (!res.destroyed) res.end();
    void req;
  });
  return { s, closed };
}
async function all(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chat over HTTP', () => {
  it('sends the ADK body with Accept: text/event-stream and yields typed events then done', async () => {
    const { s } = await sseServer((res) => {
      res.write(': ping\n\n');
      res.write(frame(adk([{ functionCall: { name: 'edit_multitrack', args: {} } }])));
      res.write('data:\n\n');
      res.write(frame(adk([{ functionResponse: { name: 'edit_multitrack', response: {} } }])));
      res.write(frame(adk([{ text: 'Done: trimmed.' }])));
    });
    const events = await all(client(s.url).chat.send('5529798706024415232', 'trim it'));
    expect(events.map((e) => e.type)).toEqual([
      'heartbeat',
      'toolCall',
      'heartbeat',
      'toolResult',
      'text',
      'done',
    ]);
    expect(events.at(-1)).toEqual({ type: 'done', textSeen: true, toolCalls: 1 });
    const req = s.requests[0];
    expect(req.url).toBe('/run_sse');
    expect(req.headers.accept).toBe('text/event-stream');
    expect(JSON.parse(req.body.toString())).toEqual({
      app_name: 'nemo_agent',
      user_id: 'me',
      session_id: '5529798706024415232',
      new_message: { role: 'user', parts: [{ text: 'trim it' }] },
    });
  });
  it('partial chunks, then the final text replaces them; a trailing apology is flagged', async () => {
    const { s } = await sseServer((res) => {
      res.write(frame(adk([{ text: 'Hel' }], { partial: true })));
      res.write(frame(adk([{ text: 'lo' }], { partial: true })));
      res.write(frame(adk([{ text: 'Hello' }])));
      res.write(frame(adk([{ text: 'I encountered a temporary issue. Please try again.' }])));
    });
    const events = (await all(client(s.url).chat.send('1', 'hi'))).filter((e) => e.type === 'text');
    expect(events).toMatchObject([
      { text: 'Hel', partial: true },
      { text: 'lo', partial: true },
      { text: 'Hello', replacesPartial: true },
      { text: 'I encountered a temporary issue. Please try again.', apology: true },
    ]);
    expect(events[2]).not.toHaveProperty('partial');
  });
  it('an apology as the only reply is not flagged', async () => {
    const { s } = await sseServer((res) => {
      res.write(frame({ type: 'text', content: 'I encountered a temporary issue.' }));
    });
    const events = await all(client(s.url).chat.send('1', 'hi'));
    expect(events[0]).not.toHaveProperty('apology');
  });
  it('ignores garbage lines (debug-logged) and drops a 10 MB event, then completes', async () => {
    const lines: string[] = [];
    const { s } = await sseServer(async (res) => {
      res.write('data: not json at all\n\n');
      res.write(': comment\n\n');
      const big = `data: {"text":"${'y'.repeat(10 * 1024 * 1024)}"}\n\n`;
      for (let i = 0; i < big.length; i += 65536) {
        if (!res.write(big.slice(i, i + 65536))) await new Promise((r) => res.once('drain', r));
      }
      res.write(frame(adk([{ text: 'after' }])));
    });
    const events = await all(client(s.url, { logger: (l) => lines.push(l) }).chat.send('1', 'hi'));
    expect(events.filter((e) => e.type === 'text')).toMatchObject([{ text: 'after' }]);
    expect(events.at(-1)?.type).toBe('done');
    expect(lines.some((l) => l.includes('non-JSON'))).toBe(true);
    expect(lines.some((l) => /larger than|dropped/.test(l))).toBe(true);
  });
  it('idle timeout fires when only heartbeats arrive', async () => {
    const { s, closed } = await sseServer(async (res, c) => {
      res.write(frame(adk([{ text: 'working' }])));
      while (!c.value) {
        res.write(': ping\n\n');
        await wait(30);
      }
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of client(s.url).chat.send('1', 'hi', { idleTimeoutMs: 300 })) seen.push(e.type);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toBe('No reply from the agent for 300 ms (heartbeats only)');
    expect(seen[0]).toBe('text');
    expect(seen.filter((t) => t === 'heartbeat').length).toBeGreaterThan(2);
    await wait(50);
    expect(closed.value).toBe(true);
  });
  it('total timeout fires even while substantive events keep coming', async () => {
    const { s } = await sseServer(async (res, c) => {
      while (!c.value) {
        res.write(frame({ type: 'text', content: '.' }));
        await wait(20);
      }
    });
    const err = await all(client(s.url).chat.send('1', 'hi', { totalTimeoutMs: 200 })).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });
  it('breaking out of for-await aborts the request', async () => {
    const { s, closed } = await sseServer(async (res, c) => {
      while (!c.value) {
        res.write(frame({ type: 'text', content: 'tick' }));
        await wait(20);
      }
    });
    for await (const e of client(s.url).chat.send('1', 'hi')) {
      if (e.type === 'text') break;
    }
    await wait(100);
    expect(closed.value).toBe(true);
  });
  it('an external signal aborts the stream with AbortError', async () => {
    const { s } = await sseServer(async (res, c) => {
      while (!c.value) {
        res.write(': ping\n\n');
        await wait(20);
      }
    });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const err = await all(client(s.url).chat.send('1', 'hi', { signal: ctl.signal })).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
  });
  it('a stream cut mid-way is a ConnectionError saying not to resend; nothing is resent', async () => {
    const { s } = await sseServer(async (res) => {
      res.write(frame(adk([{ functionCall: { name: 'edit', args: {} } }])));
      await wait(30);
      res.socket?.destroy();
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of client(s.url).chat.send('1', 'hi')) seen.push(e.type);
    })().catch((e) => e);
    expect(seen).toEqual(['toolCall']);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.hint).toMatch(/do not resend/);
    expect(s.requests).toHaveLength(1);
  });
  it('a JSON answer to /run_sse is decoded: 200 + code 2001 raises, 200 + code 0 ends with done', async () => {
    let code = 2001;
    const s = await serve((_req, res) => sendJson(res, 200, { code, message: 'Insufficient credits' }));
    const err = await all(client(s.url).chat.send('1', 'hi')).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    code = 0;
    expect(await all(client(s.url).chat.send('1', 'hi'))).toEqual([
      { type: 'done', textSeen: false, toolCalls: 0 },
    ]);
  });
  it('a 2001 JSON body split over chunked writes is decoded every time, whatever the Content-Type says', async () => {
    const body = JSON.stringify({ code: 2001, message: 'Insufficient credits' });
    for (const type of ['application/json', 'text/event-stream', 'text/plain', undefined]) {
      const s = await serve(async (_req, res) => {
        res.writeHead(200, type ? { 'content-type': type } : {});
        res.flushHeaders();
        for (const part of ['\n', body.slice(0, 1), body.slice(1, 9), body.slice(9)]) {
          res.write(part);
          await wait(5);
        }
        res.end();
      });
      for (let i = 0; i < 5; i++) {
        const err = await all(client(s.url).chat.send('1', 'hi')).catch((e) => e);
        expect(err, `content-type ${type}, try ${i}`).toBeInstanceOf(InsufficientCreditsError);
      }
    }
  });
  it('a mislabelled JSON success body ends with done and no events', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(JSON.stringify({ code: 0, data: {} }));
    });
    expect(await all(client(s.url).chat.send('1', 'hi'))).toEqual([
      { type: 'done', textSeen: false, toolCalls: 0 },
    ]);
  });
  it('a 404 session error surfaces as SessionNotFoundError', async () => {
    const s = await serve((_req, res) => sendJson(res, 404, { detail: 'Session not found: 1' }));
    const err = await all(client(s.url).chat.send('1', 'hi')).catch((e) => e);
    expect(err).toBeInstanceOf(SessionNotFoundError);
  });
  it('a 401 before the stream started is replayed once after re-auth (anonymous token)', async () => {
    const s = await serve((req, res, rec) => {
      if (rec.url === '/api/auth/anonymous-token') {
        const n = s.requests.filter((r) => r.url === rec.url).length;
        return sendJson(res, 200, { code: 0, data: { token: `nmv_usr_t${n}` } });
      }
      if (req.headers.authorization === 'Bearer nmv_usr_t1')
        return sendJson(res, 401, { code: 1001, message: 'Token expired' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(frame({ type: 'text', content: 'ok' }));
    });
    const c = track(new NemoClient({ baseURL: s.url, clientId: 'cid' }));
    const events = await all(c.chat.send('1', 'hi'));
    expect(events[0]).toMatchObject({ type: 'text', text: 'ok' });
    expect(s.requests.filter((r) => r.url === '/run_sse')).toHaveLength(2);
  });
});
