import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultSpec, type RunningServer, startServer } from '../../src/server/index.js';
import { nemoIn } from '../helpers/in-process.js';
import { events, expectNoToken, nemo, serverStats, startSuite, tempDir, testEnv } from './helpers.js';

let server: RunningServer;
let dir: string;
let clip: string;
let n = 0;

beforeAll(async () => {
  ({ server, dir, clip } = await startSuite({ startCredits: 100_000, heartbeatMs: 100 }));
}, 120_000);
afterEach(() => server.faults.clear());
afterAll(async () => {
  await server?.close();
});

const env = (extra: Record<string, string> = {}) =>
  testEnv({ NEMO_API_URL: server.url, NEMO_RECOVERY_INTERVAL_MS: '300', ...extra });
const out = () => join(dir, `out-${++n}.mp4`);
const creditRequests = async (): Promise<number> =>
  Object.entries((await serverStats(server.url)).requests)
    .filter(([p]) => p.startsWith('/api/credits'))
    .reduce((sum, [, c]) => sum + c, 0);

async function editWith(
  fault: FaultSpec | FaultSpec[],
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
) {
  for (const f of [fault].flat()) server.faults.add(f);
  const output = out();
  const r = await nemoIn(
    ['edit', clip, "add a title 'Fault'", '-o', output, '--json', '--quality', 'low', ...extraArgs],
    { env: env(extraEnv) },
  );
  expectNoToken(r);
  // the fault really fired (a spent fault is removed), so the row proves the recovery
  expect(server.faults.list(), 'the injected fault fired').toEqual([]);
  return { ...r, output, evs: r.stdout.trim() ? events(r.stdout) : [] };
}

describe('fault matrix (issue 6): the CLI recovers or exits with the documented code', () => {
  it('1. token expires after the upload (1001): one re-auth, the flow completes', async () => {
    const before = await serverStats(server.url);
    const r = await editWith({ name: 'expire-token', after: 'upload' });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(r.output)).toBe(true);
    const after = await serverStats(server.url);
    const tokens = (s: typeof after) => s.requests['/api/auth/anonymous-token'] ?? 0;
    expect(tokens(after) - tokens(before)).toBe(2);
  });

  it('2. session lost on chat (1002): new session, files re-uploaded, instruction sent once more; says so', async () => {
    const before = await serverStats(server.url);
    const r = await editWith({ name: 'lose-session' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/was lost on the server \(1002\).*re-uploaded 1 file/);
    const recreated = r.evs.find((e) => e.type === 'session.recreated');
    expect(recreated).toBeDefined();
    const after = await serverStats(server.url);
    expect(after.uploadsStored - before.uploadsStored).toBe(2);
    expect(after.runSse[recreated?.sessionId as string]).toBe(1);
    expect(existsSync(r.output)).toBe(true);
  });

  it('3. 429 with Retry-After on state: waits, retries, completes', async () => {
    const r = await editWith({ name: 'rate-limit', path: '/api/state', times: 1, retryAfterS: 1 });
    expect(r.code, r.stderr).toBe(0);
  });

  it('3b. 429 repeated: exit 3, saying when to retry', async () => {
    server.faults.add({ name: 'rate-limit', path: '/api/credits', times: -1, retryAfterS: 1 });
    const before = await creditRequests();
    const r = await nemoIn(['credits'], { env: env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/retry in \d+ s/);
    expect((await creditRequests()) - before).toBe(3); // the first try and 2 retries
  });

  it('4. 503 with an HTML body on credits: retried', async () => {
    server.faults.add({ name: 'html-503', path: '/api/credits', times: 1 });
    const before = await creditRequests();
    const r = await nemoIn(['credits', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect((await creditRequests()) - before).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ available: expect.any(Number) });
  });

  it('4b. 503 persistent: exit 3, the status shown, no HTML dump', async () => {
    server.faults.add({ name: 'html-503', path: '/api/credits', times: -1 });
    const before = await creditRequests();
    const r = await nemoIn(['credits'], { env: env() });
    expect(r.code).toBe(3);
    expect((await creditRequests()) - before).toBe(3);
    expect(r.stderr).toMatch(/503/);
    expect(r.stderr).not.toMatch(/<html|<h1/i);
  });

  it('5. SSE dropped mid-stream: not resent; the state is polled and the edit found', async () => {
    const r = await editWith({ name: 'sse-drop' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not resending/);
    const diff = r.evs.find((e) => e.type === 'state.diff');
    expect(diff).toMatchObject({ changes: expect.any(Array), text: expect.any(String) });
    const sessionId = r.evs.find((e) => e.type === 'session')?.sessionId as string;
    expect((await serverStats(server.url)).runSse[sessionId]).toBe(1);
    expect(existsSync(r.output)).toBe(true);
  });

  it('7. heartbeats only for a while: "still working" lines, then the reply', async () => {
    // 1 s of heartbeats (every 100 ms) against a 200 ms "still working" interval
    server.faults.add({ name: 'slow-agent', ms: 1000 });
    const r = await nemoIn(['edit', clip, "add a title 'Slow'", '-o', out(), '--quality', 'low'], {
      env: env({ NEMO_STILL_WORKING_MS: '200' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/⏳ still working…/);
  });

  it('7b. heartbeats only past the idle timeout: exit 3 (timeout)', async () => {
    const r = await editWith({ name: 'slow-agent', ms: 5000 }, [], { NEMO_CHAT_IDLE_TIMEOUT_MS: '800' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.evs.at(-1)).toMatchObject({ type: 'error', code: 'timeout', exitCode: 3 });
  });

  it('8. render failed once: one retry with a new id, completes', async () => {
    const r = await editWith({ name: 'render-fail', times: 1 });
    expect(r.code, r.stderr).toBe(0);
    const ids = r.evs.filter((e) => e.type === 'render.submitted').map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(r.stderr).toMatch(/retrying once with a new id/);
  });

  it('8b. render failed twice: exit 5 with the server error', async () => {
    const r = await editWith({ name: 'render-fail', times: 2 });
    expect(r.code, r.stderr).toBe(5);
    expect(r.evs.at(-1)).toMatchObject({ type: 'error', code: 'render_failed', exitCode: 5 });
    expect(r.stderr).toMatch(/error: Render render_\S+ failed: \S+/);
  });

  it('--each: a failed file does not stop the others; the exit code is the failure', async () => {
    const sub = tempDir();
    const [a, b] = [join(sub, 'a.mp4'), join(sub, 'b.mp4')];
    await Promise.all([copyFile(clip, a), copyFile(clip, b)]);
    server.faults.add({ name: 'render-fail', times: 2 });
    const r = await nemoIn(['edit', a, b, "add a title 'Each'", '--each', '--json', '--quality', 'low'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(5);
    const evs = events(r.stdout);
    expect(evs.filter((e) => e.type === 'error').map((e) => e.file)).toEqual([a]);
    expect(evs.filter((e) => e.type === 'result').map((e) => e.file)).toEqual([b]);
    expect(r.stderr).toMatch(/1 of 2 edits failed/);
  });

  it('9. slow render: progress advances; --timeout bounds the wait (exit 3, resume hint); --resume finishes it', async () => {
    const e = env();
    // the render takes 3.5 s: the first wait gives up after 2 s, the resumed one sees the rest
    server.faults.add({ name: 'slow-render', ms: 3500 });
    const output = out();
    const r = await nemoIn(['edit', clip, "add a title 'Slow'", '-o', output, '--json', '--timeout', '2'], {
      env: e,
    });
    expect(r.code, r.stderr).toBe(3);
    const err = events(r.stdout).at(-1);
    expect(err).toMatchObject({
      type: 'error',
      code: 'render_timeout',
      hint: expect.stringMatching(/^nemo export --resume render_/),
    });
    const resumed = await nemoIn(['export', '--resume', '--json'], { env: e });
    expect(resumed.code, resumed.stderr).toBe(0);
    const evs = events(resumed.stdout);
    // progress advanced: below 100 while the first run waited, 100 when the resumed wait ended
    const progress = [...events(r.stdout), ...evs]
      .filter((x) => x.type === 'render.progress')
      .map((x) => x.progress as number);
    expect(progress.some((p) => p < 100)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    expect(evs.at(-1)).toMatchObject({ type: 'result', output });
    expect(existsSync(output)).toBe(true);
  });

  it('10. download cut half-way: resumed, the output byte-identical', async () => {
    const r = await editWith({ name: 'download-cut', times: 1 });
    expect(r.code, r.stderr).toBe(0);
    const result = r.evs.at(-1) as unknown as { url: string; output: string };
    const direct = Buffer.from(await (await fetch(result.url)).arrayBuffer());
    expect(readFileSync(result.output).equals(direct)).toBe(true);
  });

  it('11. connection reset during upload: retried from disk; the server keeps exactly one copy', async () => {
    const before = await serverStats(server.url);
    const r = await editWith({ name: 'upload-reset', times: 1 });
    expect(r.code, r.stderr).toBe(0);
    expect((await serverStats(server.url)).uploadsStored - before.uploadsStored).toBe(1);
  });

  it('garbage SSE lines and a 10 MB event: the reply still comes through', async () => {
    const r = await editWith({ name: 'sse-garbage' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.evs.some((e) => e.type === 'chat.text')).toBe(true);
  });

  it('SIGINT while the agent works: the chat is aborted cleanly (exit 130), nothing resent, no output', async () => {
    server.faults.add({ name: 'slow-agent', ms: 4000 });
    const output = out();
    const run = nemo(['edit', clip, "add a title 'Stop'", '-o', output, '--json'], { env: env() });
    let stdout = '';
    let sent = false;
    run.child.stdout?.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('"upload.progress"') && stdout.includes('"totalBytes"')) {
        sent = true;
        setTimeout(() => run.child.kill('SIGINT'), 500);
      }
    });
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    expect(events(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'interrupted', exitCode: 130 });
    expect(events(r.stdout).some((e) => e.type === 'render.submitted')).toBe(false);
    const sessionId = events(r.stdout).find((e) => e.type === 'session')?.sessionId as string;
    expect((await serverStats(server.url)).runSse[sessionId] ?? 0).toBeLessThanOrEqual(1);
    expect(existsSync(output)).toBe(false);
  });

  it('12. SIGINT during render: exit 130, job id printed and saved; nemo export --resume finishes it', async () => {
    const e = env();
    server.faults.add({ name: 'slow-render', ms: 2500 });
    const output = out();
    const run = nemo(['edit', clip, "add a title 'Ctrl-C'", '-o', output, '--json'], { env: e });
    let stdout = '';
    let sent = false;
    run.child.stdout?.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('"render.submitted"')) {
        sent = true;
        run.child.kill('SIGINT');
      }
    });
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    const id = events(r.stdout).find((x) => x.type === 'render.submitted')?.id as string;
    expect(r.stderr).toContain(`nemo export --resume ${id}`);
    expect(existsSync(output)).toBe(false);
    const saved = JSON.parse(readFileSync(join(e.NEMO_CONFIG_DIR as string, 'config.json'), 'utf8'));
    expect(JSON.stringify(saved)).toContain(id);
    const resumed = await nemoIn(['export', '--resume'], { env: e });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout.trim()).toBe(output);
    expect(existsSync(output)).toBe(true);
  });
});

describe('server shapes and credits', () => {
  let quiet: RunningServer;
  beforeAll(async () => {
    quiet = await startServer({
      port: 0,
      silentFraction: 1,
      startCredits: 60,
      sseShape: 'typed',
      renderShape: 'v19',
      heartbeatForm: 'empty',
    });
  });
  afterAll(async () => {
    await quiet?.close();
  });

  it('6. silent edit (no text): the state diff is printed', async () => {
    const r = await nemoIn(['edit', clip, "add a title 'Quiet'", '-o', out(), '--quality', 'low'], {
      env: testEnv({ NEMO_API_URL: quiet.url }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/done without a reply; what changed: added track 2 \(Title/);
  });

  it('out of credits (2001): exit 6 with the register?bind= link', async () => {
    const e = testEnv({ NEMO_API_URL: quiet.url });
    expect(
      (await nemoIn(['edit', clip, "add a title 'One'", '-o', out(), '--quality', 'low'], { env: e })).code,
    ).toBe(0);
    // 60 credits, 50 per session: the second session's edit is refused
    const broke = await nemoIn(['edit', clip, "add a title 'Broke'", '-o', out(), '--json'], { env: e });
    expect(broke.code, broke.stderr).toBe(6);
    expect(broke.stderr).toMatch(/register\?bind=anon_/);
    expect(events(broke.stdout).at(-1)).toMatchObject({
      type: 'error',
      code: 'insufficient_credits',
      exitCode: 6,
    });
  });
});
