import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { sendJson, startTestServer, type TestServer } from '../helpers/http.js';
import { nemoIn } from '../helpers/in-process.js';
import { events, expectNoToken, startSuite, tempDir, testEnv } from './helpers.js';
import { type ProxyHooks, startProxy } from './proxy.js';

/**
 * Issue 6, "bad inputs: server": the built CLI against `nemo serve` behind a rewriting proxy that
 * answers what no fault knob produces. Each case: the documented exit code, one clear error line
 * (no stack, no body dump), nothing written under the output name, no token printed.
 */

let server: RunningServer;
let clip: string;
let proxy: TestServer | undefined;
let n = 0;

beforeAll(async () => {
  ({ server, clip } = await startSuite({ startCredits: 100_000 }));
}, 120_000);
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});
afterAll(async () => {
  await server?.close();
});

async function via(hooks: ProxyHooks): Promise<Record<string, string>> {
  proxy = await startProxy(server.url, hooks);
  return testEnv({ NEMO_API_URL: proxy.url });
}

async function edit(env: Record<string, string>) {
  const output = join(tempDir(), `out-${++n}.mp4`);
  const r = await nemoIn(['edit', clip, "add a title 'Odd'", '-o', output, '--json', '--quality', 'low'], {
    env,
  });
  expectNoToken(r);
  const evs = events(r.stdout);
  return { ...r, output, evs, error: evs.at(-1) as { type: string; [k: string]: unknown } };
}

/** Exactly one `error:` line followed by its `→` fix line; no stack trace. */
function expectOneClearError(stderr: string): void {
  expect(
    stderr.split('\n').filter((l) => l.startsWith('error')),
    stderr,
  ).toHaveLength(1);
  expect(stderr).toMatch(/^error: .+\n→ .+/m);
  expect(stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
}

const renderPoll = (url: string) => /^\/api\/render\/proxy\/(lambda\/)?render_[^/]+$/.test(url);
const answerJson =
  (match: (url: string) => boolean, status: number, text: string, type = 'application/json') =>
  (rec: { url: string }, res: import('node:http').ServerResponse) => {
    if (!match(rec.url)) return false;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  };

describe('bad answers from the server, through the CLI', () => {
  it('invalid JSON: exit 1 naming the status and the body kind, no body dump, a fix', async () => {
    const env = await via({
      answer: answerJson((u) => u.startsWith('/api/credits'), 200, '{"code":0,"data":{"available":'),
    });
    const r = await nemoIn(['credits'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/HTTP 200 OK \(non-JSON body\)/);
    expect(r.stderr).toMatch(/check NEMO_API_URL/);
    expect(r.stderr).not.toContain('"available"');
    expectOneClearError(r.stderr);
  });

  it('a 200 with an unexpected shape (a session without an id): exit 1 with one line, nothing uploaded', async () => {
    const env = await via({
      answer: answerJson(
        (u) => u.startsWith('/api/tasks/'),
        200,
        JSON.stringify({ code: 0, data: { hello: 'world' } }),
      ),
    });
    const r = await edit(env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.error).toMatchObject({ type: 'error', exitCode: 1 });
    expect(r.stderr).toMatch(/create-session response had no session_id/);
    expectOneClearError(r.stderr);
    expect(proxy?.requests.some((q) => q.url.startsWith('/api/upload-video'))).toBe(false);
    expect(existsSync(r.output)).toBe(false);
  });

  it('2001 as a JSON body split over chunked writes, labelled text/event-stream: exit 6, not 0', async () => {
    const body = JSON.stringify({ code: 2001, message: 'Insufficient credits' });
    const env = await via({
      answer: async (rec, res) => {
        if (rec.url !== '/run_sse') return false;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        for (const part of [body.slice(0, 1), body.slice(1, 12), body.slice(12)]) {
          res.write(part);
          await new Promise((r) => setTimeout(r, 20));
        }
        res.end();
        return true;
      },
    });
    const r = await edit(env);
    expect(r.code, r.stderr).toBe(6);
    expect(r.error).toMatchObject({ code: 'insufficient_credits', exitCode: 6 });
    expect(r.evs.some((e) => e.type === 'render.submitted')).toBe(false);
    expect(existsSync(r.output)).toBe(false);
  });

  it('a render URL with a non-http scheme: exit 2, refused, nothing read or written', async () => {
    const env = await via({
      mapJson: (rec, text) =>
        renderPoll(rec.url)
          ? text.replace(/http:\/\/127\.0\.0\.1:\d+\/renders\/[^"]+/g, 'file:///etc/passwd')
          : text,
    });
    const r = await edit(env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Unsupported scheme "file:"/);
    expectOneClearError(r.stderr);
    expect(existsSync(r.output)).toBe(false);
    expect(readdirSync(dirname(r.output))).toEqual([]);
  });

  it('a render URL on another host whose name has ../: saved only under -o, byte-identical, no bearer token sent there', async () => {
    const cdn = await startTestServer(async (_req, res, rec) => {
      const file = new URL(rec.url, 'http://x').searchParams.get('f') ?? '';
      const got = await fetch(`${server.url}/renders/${file}`);
      res.writeHead(got.status, { 'content-type': 'video/mp4' });
      res.end(Buffer.from(await got.arrayBuffer()));
    });
    try {
      const env = await via({
        mapJson: (rec, text) =>
          renderPoll(rec.url)
            ? text.replace(
                /http:\/\/127\.0\.0\.1:\d+\/renders\/([^"]+)/g,
                (_m, f: string) => `${cdn.url}/v/..%2F..%2Fescaped.mp4?f=${f}`,
              )
            : text,
      });
      const r = await edit(env);
      expect(r.code, r.stderr).toBe(0);
      const result = r.evs.at(-1) as { type: string; output: string; url: string };
      expect(result).toMatchObject({ type: 'result', output: r.output });
      const f = new URL(result.url).searchParams.get('f');
      const direct = Buffer.from(await (await fetch(`${server.url}/renders/${f}`)).arrayBuffer());
      expect(readFileSync(r.output).equals(direct)).toBe(true);
      expect(readdirSync(dirname(r.output))).toEqual([`out-${n}.mp4`]);
      expect(existsSync(join(dirname(r.output), '..', 'escaped.mp4'))).toBe(false);
      // the download host saw no credentials; the API host did (so the check can fail)
      expect(cdn.requests.length).toBeGreaterThan(0);
      for (const q of cdn.requests) {
        expect(q.headers.authorization).toBeUndefined();
        expect(JSON.stringify(q.headers)).not.toMatch(/nmv_usr_/);
      }
      expect(proxy?.requests.some((q) => /^Bearer nmv_usr_/.test(q.headers.authorization ?? ''))).toBe(true);
    } finally {
      await cdn.close();
    }
  });
});

describe('a bad token answer', () => {
  it('an anonymous-token answer without a token: exit 1, says what was missing', async () => {
    const env = await via({
      answer: (rec, res) => {
        if (rec.url !== '/api/auth/anonymous-token') return false;
        sendJson(res, 200, { code: 0, data: { user_id: 'anon_x' } });
        return true;
      },
    });
    const r = await nemoIn(['credits'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/anonymous token response carried no token/);
    expectOneClearError(r.stderr);
  });
});
