import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ServerError, TimeoutError } from '../../src/api/errors.js';
import { CliError } from '../../src/cli/cli-error.js';
import { Ctx } from '../../src/cli/context.js';
import { chatTurn } from '../../src/cli/flows/chat-turn.js';
import { loopback, sendJson } from '../helpers/http.js';

// Each loop that now runs on src/api/retry.ts still retries what it did, over real loopback HTTP (the
// transport's own retries, render submit and renderWithRetry: api-transport, api-render, contract tests).
const { serve, client, track } = loopback();

describe('the loops that use the policy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nemo-retry-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const video = Buffer.concat([Buffer.from('000000206674797069736f6d', 'hex'), randomBytes(4096)]);

  it('download: a 503 is retried after its retry-after-ms, a refused connection too; the file is whole', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n += 1;
      if (n === 1) return sendJson(res, 503, { message: 'busy' }, { 'retry-after-ms': '30' });
      if (n === 2) {
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
      res.end(video);
    });
    const out = path.join(dir, 'ok.mp4');
    const got = await client(s.url).render.download(`${s.url}/v.mp4`, out);
    expect(got.bytes).toBe(video.length);
    expect(await readFile(out)).toEqual(video);
    expect(s.requests).toHaveLength(3);
  });
  it('download: failures count over the whole download; after maxRetries the ServerError is thrown', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 502, { message: 'bad gateway' }, { 'retry-after-ms': '5' }),
    );
    const err = await client(s.url, { maxRetries: 2 })
      .render.download(`${s.url}/v.mp4`, path.join(dir, 'no.mp4'))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(s.requests).toHaveLength(3);
    // a 4xx is not retried
    const gone = await serve((_req, res) => sendJson(res, 404, { message: 'no such render' }));
    const e404 = await client(gone.url)
      .render.download(`${gone.url}/v.mp4`, path.join(dir, 'no.mp4'))
      .catch((e) => e);
    expect(e404).toBeInstanceOf(ApiError);
    expect(e404).not.toBeInstanceOf(ServerError);
    expect(gone.requests).toHaveLength(1);
  });
  it('render wait: up to 5 transient poll errors in a row are polled again (a good poll resets the count), the 6th is thrown', async () => {
    const plan = ['502', '502', '502', '502', '502', 'ok', '502', '502', '502', '502', '502', 'done'];
    let polls = 0;
    const s = await serve((_req, res) => {
      const step = plan[polls++] ?? '502';
      if (step === '502') return sendJson(res, 502, { message: 'bad gateway' });
      sendJson(
        res,
        200,
        step === 'ok'
          ? { status: 'processing', progress: 50 }
          : { status: 'completed', url: 'https://x/y.mp4' },
      );
    });
    const c = client(s.url, { maxRetries: 0 });
    expect((await c.render.wait('r1', { pollIntervalMs: 5 })).url).toBe('https://x/y.mp4');
    expect(polls).toBe(plan.length);
    polls = 0;
    plan.fill('502');
    const err = await c.render.wait('r2', { pollIntervalMs: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(polls).toBe(6);
  });
  it('render wait: a poll-after hint sets the next poll; a render still running at the deadline is a TimeoutError', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 200, { status: 'processing', progress: 1 }, { 'x-poll-after-ms': '40' }),
    );
    const started = Date.now();
    const err = await client(s.url)
      .render.wait('r', { timeoutMs: 400 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toBe('Render r did not finish within 400 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    // every 40 ms for 400 ms: about 10 polls (not the 1.5 s backoff, which would give 1)
    expect(s.requests.length).toBeGreaterThanOrEqual(5);
    expect(s.requests.length).toBeLessThanOrEqual(12);
  });
  it('render submit: a 4xx the server means (not a plain ApiError) is not resubmitted', async () => {
    const s = await serve((_req, res) => sendJson(res, 401, { code: 1001, message: 'token expired' }));
    const err = await client(s.url)
      .render.submit({ sessionId: 's', draft: {} })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(s.requests).toHaveLength(1);
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

describe('chat: a stream dropped mid-reply is followed by state checks, never a resend', () => {
  const draft = (titles: string[]) => ({
    t: [
      { tt: 0, sg: [{ d: 2000, m: { src: 'a.mp4' } }] },
      ...titles.map((text) => ({ tt: 2, sg: [{ d: 1000, m: { text } }] })),
    ],
  });
  /** /run_sse sends one text frame and drops; the state shows `draftAt(n)` at its n-th read (0: before). */
  async function droppingServer(draftAt: (n: number) => unknown) {
    let reads = 0;
    const s = await serve((_req, res, rec) => {
      if (rec.url === '/run_sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const frame = {
          content: { parts: [{ text: 'Working on it' }], role: 'model' },
          author: 'nemo_agent',
        };
        res.write(`data: ${JSON.stringify(frame)}\n\n`, () => setTimeout(() => res.socket?.destroy(), 10));
        return;
      }
      sendJson(res, 200, { code: 0, data: { state: { draft: draftAt(reads++) } } });
    });
    return { s, reads: () => reads };
  }
  async function turn(url: string) {
    const stderr = new Capture();
    const ctx = new Ctx(
      {},
      {
        stdout: new Capture(),
        stderr,
        stdin: Readable.from([]),
        env: { NEMO_RECOVERY_INTERVAL_MS: '20', NO_COLOR: '1' },
      },
    );
    try {
      const result = await chatTurn(ctx, ctx.out, track(client(url)), 's1', "add a title 'Hi'").catch(
        (e) => e,
      );
      return { result, stderr: stderr.text };
    } finally {
      await ctx.close();
    }
  }

  it('the edit shows at the second check: its changes are the result; nothing was resent', async () => {
    const { s, reads } = await droppingServer((n) => draft(n >= 2 ? ['Hi'] : []));
    const { result, stderr } = await turn(s.url);
    expect(result).toMatchObject({ sessionId: 's1', textSeen: false });
    expect(result.changes.length).toBeGreaterThan(0);
    expect(reads()).toBe(3);
    expect(stderr).toMatch(/not resending/);
    expect(stderr).toMatch(/no change yet \(check 1 of 5\)/);
    expect(stderr).not.toMatch(/check 2 of 5/);
    expect(s.requests.filter((r) => r.url === '/run_sse')).toHaveLength(1);
  });
  it('no change after 5 checks: a transient sse_dropped error, each check said', async () => {
    const { s, reads } = await droppingServer(() => draft([]));
    const { result, stderr } = await turn(s.url);
    expect(result).toBeInstanceOf(CliError);
    expect(result).toMatchObject({ kind: 'transient', code: 'sse_dropped' });
    expect(result.message).toMatch(/after 5 checks/);
    expect(reads()).toBe(6);
    for (let i = 1; i <= 5; i++) expect(stderr).toContain(`no change yet (check ${i} of 5)`);
    expect(s.requests.filter((r) => r.url === '/run_sse')).toHaveLength(1);
  });
});
