import { describe, expect, it, vi } from 'vitest';
import { RenderFailedError, TimeoutError } from '../../src/api/errors.js';
import { nextPollDelay, renderWithRetry } from '../../src/api/render.js';
import { normalizeRenderStatus } from '../../src/api/render-status.js';
import { loopback, sendJson } from '../helpers/http.js';

describe('normalizeRenderStatus (§4.8, §12.3)', () => {
  it('v1.9 top-level status + output.url', () => {
    expect(
      normalizeRenderStatus('r1', {
        id: 'r1',
        status: 'completed',
        progress: 100,
        output: { url: 'https://x/o.mp4' },
      }),
    ).toMatchObject({ id: 'r1', status: 'completed', progress: 100, url: 'https://x/o.mp4' });
  });
  it('v4.4 {success,data:{status,progress,outputUrl}}', () => {
    expect(
      normalizeRenderStatus('r1', { success: true, data: { id: 'r1', status: 'processing', progress: 40 } }),
    ).toMatchObject({ status: 'processing', progress: 40 });
    expect(
      normalizeRenderStatus('r1', {
        success: true,
        data: { status: 'completed', outputUrl: 'https://s/r.mp4' },
      }),
    ).toMatchObject({ status: 'completed', url: 'https://s/r.mp4' });
  });
  it('init {taskId,status,output:{url}}', () => {
    expect(
      normalizeRenderStatus('mine', { taskId: 'render_x', status: 'completed', output: { url: 'u' } }),
    ).toMatchObject({
      id: 'render_x',
      url: 'u',
    });
  });
  it('Remotion-ish done/overallProgress/outputFile/fatalErrorEncountered', () => {
    expect(normalizeRenderStatus('r', { overallProgress: 0.42, done: false })).toMatchObject({
      status: 'processing',
      progress: 42,
    });
    expect(
      normalizeRenderStatus('r', { overallProgress: 1, done: true, outputFile: 'https://b/o.mp4' }),
    ).toMatchObject({
      status: 'completed',
      url: 'https://b/o.mp4',
    });
    expect(
      normalizeRenderStatus('r', { fatalErrorEncountered: true, errors: [{ message: 'lambda crashed' }] }),
    ).toMatchObject({ status: 'failed', error: 'lambda crashed' });
  });
  it('status synonyms, failures with error text, unknown values keep polling', () => {
    expect(normalizeRenderStatus('r', { status: 'succeeded', url: 'u' }).status).toBe('completed');
    expect(normalizeRenderStatus('r', { status: 'success' }).status).toBe('completed');
    expect(
      normalizeRenderStatus('r', { success: true, data: { status: 'failed', error: 'bad draft' } }),
    ).toMatchObject({
      status: 'failed',
      error: 'bad draft',
    });
    expect(normalizeRenderStatus('r', { status: 'error', error: { message: 'x' } })).toMatchObject({
      error: 'x',
    });
    expect(normalizeRenderStatus('r', { status: 'canceled' }).status).toBe('cancelled');
    expect(normalizeRenderStatus('r', { status: 'pending', progress: 0 }).status).toBe('pending');
    expect(normalizeRenderStatus('r', { status: 'rendering', progress: 5 }).status).toBe('processing');
    expect(normalizeRenderStatus('r', {}).status).toBe('pending');
  });
});

describe('nextPollDelay', () => {
  it('polls just after the predicted completion, ≤ 500 ms from 90 %, never beyond the backoff', () => {
    // 10 %/s: from 50 % at t=5000, completion predicted in 5 s.
    expect(
      nextPollDelay(
        [
          { t: 1000, p: 10 },
          { t: 5000, p: 50 },
        ],
        10_000,
      ),
    ).toBe(5100);
    expect(
      nextPollDelay(
        [
          { t: 1000, p: 10 },
          { t: 5000, p: 50 },
        ],
        3000,
      ),
    ).toBe(3000);
    expect(
      nextPollDelay(
        [
          { t: 0, p: 10 },
          { t: 8000, p: 90 },
        ],
        10_000,
      ),
    ).toBeLessThanOrEqual(500);
    expect(nextPollDelay([{ t: 0, p: 0 }], 4000)).toBe(4000);
    expect(
      nextPollDelay(
        [
          { t: 0, p: 10 },
          { t: 100, p: 99.9 },
        ],
        10_000,
      ),
    ).toBe(200);
  });
});

const { serve, client } = loopback();

interface Job {
  polls: number;
  fail?: boolean;
  noUrl?: boolean;
}
/** A render server: each job completes after `pollsToDone` polls. */
async function renderServer(
  opts: {
    pollsToDone?: number;
    failIds?: (n: number) => boolean;
    submitFails?: number;
    noUrl?: boolean;
  } = {},
) {
  const jobs = new Map<string, Job>();
  let submits = 0;
  const s = await serve((_req, res, rec) => {
    if (rec.method === 'POST' && rec.url === '/api/render/proxy/lambda') {
      submits += 1;
      const body = JSON.parse(rec.body.toString());
      if (submits <= (opts.submitFails ?? 0))
        return sendJson(res, 200, { success: false, error: 'duplicate id' });
      jobs.set(body.id, { polls: 0, fail: opts.failIds?.(submits), noUrl: opts.noUrl });
      return sendJson(res, 200, { success: true, data: { id: body.id, status: 'pending', progress: 0 } });
    }
    const m = /^\/api\/render\/proxy\/lambda\/([^/]+)(\/cancel)?$/.exec(rec.url);
    const job = m && jobs.get(m[1]);
    if (!job || !m) return sendJson(res, 404, { success: false, error: 'not found' });
    if (m[2]) return sendJson(res, 200, { success: true, data: { id: m[1], status: 'cancelled' } });
    job.polls += 1;
    const done = job.polls >= (opts.pollsToDone ?? 3);
    if (done && job.fail)
      return sendJson(res, 200, {
        success: true,
        data: { id: m[1], status: 'failed', error: 'encoder crashed' },
      });
    const progress = done ? 100 : Math.min(95, job.polls * 45);
    // The poll-after hint keeps these tests fast (and exercises it).
    sendJson(
      res,
      200,
      {
        success: true,
        data: {
          id: m[1],
          status: done ? 'completed' : 'processing',
          progress,
          ...(done && !job.noUrl ? { outputUrl: `https://cdn.test/${m[1]}.mp4` } : {}),
        },
      },
      { 'x-poll-after-ms': '20' },
    );
  });
  return s;
}

describe('render over HTTP', () => {
  it('submit sends {id:render_<uuid>, sessionId, draft, output} and returns the id', async () => {
    const s = await renderServer();
    const draft = { t: [{ tt: 0, sg: [{ d: 1000, m: { src: 'x', extra: [1, 2] } }] }], weird_key: 1.5 };
    const { id } = await client(s.url).render.submit({ sessionId: 's1', draft });
    expect(id).toMatch(/^render_[0-9a-f-]{36}$/);
    const body = JSON.parse(s.requests[0].body.toString());
    expect(body).toEqual({ id, sessionId: 's1', draft, output: { format: 'mp4', quality: 'high' } });
  });
  it('a failed submit is retried once with a fresh id', async () => {
    const s = await renderServer({ submitFails: 1 });
    const { id } = await client(s.url).render.submit({
      sessionId: 's1',
      draft: { t: [] },
      id: 'render_first',
    });
    const ids = s.requests.map((r) => JSON.parse(r.body.toString()).id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe('render_first');
    expect(ids[1]).not.toBe('render_first');
    expect(id).toBe(ids[1]);
  });
  it('wait reports progress and returns the completed status with its URL', async () => {
    const s = await renderServer({ pollsToDone: 3 });
    const c = client(s.url);
    const { id } = await c.render.submit({ sessionId: 's', draft: {} });
    const seen: number[] = [];
    const done = await c.render.wait(id, { onProgress: (st) => seen.push(st.progress) });
    expect(done).toMatchObject({ status: 'completed', url: `https://cdn.test/${id}.mp4` });
    expect(seen).toEqual([45, 90, 100]);
  });
  it('wait on a render that is already complete polls at once (no timer), renderWithRetry waits first', async () => {
    const s = await renderServer({ pollsToDone: 1 });
    const c = client(s.url);
    const { id } = await c.render.submit({ sessionId: 's', draft: {} });
    // With setTimeout frozen, any sleep before the first poll would never end (the old 500 ms first delay
    // made every `export --resume` of a finished render wait half a second).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      expect((await c.render.wait(id)).status).toBe('completed');
      let settled = false;
      const retried = renderWithRetry(c, { sessionId: 's', draft: {} }).finally(() => {
        settled = true;
      });
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(500);
      expect((await retried).status).toBe('completed');
    } finally {
      vi.useRealTimers();
    }
  }, 10_000);
  it('failed → RenderFailedError with the server text and id', async () => {
    const s = await renderServer({ pollsToDone: 1, failIds: () => true });
    const c = client(s.url);
    const { id } = await c.render.submit({ sessionId: 's', draft: {} });
    const err = await c.render.wait(id).catch((e) => e);
    expect(err).toBeInstanceOf(RenderFailedError);
    expect(err.renderId).toBe(id);
    expect(err.message).toContain('encoder crashed');
  });
  it('completed without a URL: polls twice more, then falls back to the download endpoint', async () => {
    const s = await renderServer({ pollsToDone: 1, noUrl: true });
    const c = client(s.url);
    const { id } = await c.render.submit({ sessionId: 's', draft: {} });
    const done = await c.render.wait(id);
    expect(done.url).toBe(`${s.url}/api/render/proxy/${id}/download`);
    expect(s.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });
  it('transient poll errors are retried on the same id; timeoutMs gives up with TimeoutError', async () => {
    let n = 0;
    const s = await serve((_req, res, rec) => {
      if (rec.method === 'POST') return sendJson(res, 200, { success: true, data: {} });
      n += 1;
      if (n <= 3) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>bad gateway</html>');
        return;
      }
      sendJson(res, 200, { status: 'completed', output: { url: 'https://x/y.mp4' } });
    });
    const c = client(s.url, { maxRetries: 0 });
    const { id } = await c.render.submit({ sessionId: 's', draft: {}, id: 'render_fixed' });
    expect(id).toBe('render_fixed');
    expect((await c.render.wait(id, { pollIntervalMs: 50 })).url).toBe('https://x/y.mp4');
    expect(new Set(s.requests.filter((r) => r.method === 'GET').map((r) => r.url))).toEqual(
      new Set(['/api/render/proxy/lambda/render_fixed']),
    );
    const slow = await serve((_req, res) => sendJson(res, 200, { status: 'processing', progress: 1 }));
    const err = await client(slow.url)
      .render.wait('r', { timeoutMs: 300, pollIntervalMs: 50 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });
  it('cancel posts to …/<id>/cancel', async () => {
    const s = await renderServer();
    const c = client(s.url);
    const { id } = await c.render.submit({ sessionId: 's', draft: {} });
    expect((await c.render.cancel(id)).status).toBe('cancelled');
    expect(s.requests.at(-1)?.url).toBe(`/api/render/proxy/lambda/${id}/cancel`);
  });
  it('renderWithRetry resubmits once with a new id after a failed render', async () => {
    const s = await renderServer({ pollsToDone: 1, failIds: (n) => n === 1 });
    const submitted: string[] = [];
    const done = await renderWithRetry(
      client(s.url),
      { sessionId: 's', draft: {} },
      {
        onSubmit: (id) => submitted.push(id),
      },
    );
    expect(submitted).toHaveLength(2);
    expect(submitted[0]).not.toBe(submitted[1]);
    expect(done).toMatchObject({ status: 'completed', id: submitted[1] });
    const twiceFailing = await renderServer({ pollsToDone: 1, failIds: () => true });
    await expect(
      renderWithRetry(client(twiceFailing.url), { sessionId: 's', draft: {} }),
    ).rejects.toBeInstanceOf(RenderFailedError);
  });
});
