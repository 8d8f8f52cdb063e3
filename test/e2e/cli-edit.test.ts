import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { nemoIn } from '../helpers/in-process.js';
import { clipIn, events, expectNoToken, serverStats, startSuite, tempDir, testEnv } from './helpers.js';

let server: RunningServer;
let dir: string;
let clip: string;

beforeAll(async () => {
  ({ server, dir, clip } = await startSuite({ startCredits: 100_000, heartbeatMs: 200 }));
  await clipIn(dir, 'second.mp4');
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const env = (extra: Record<string, string> = {}) => testEnv({ NEMO_API_URL: server.url, ...extra });

describe('nemo edit (cloud, against nemo serve)', () => {
  it('edits one file: output next to the input, path on stdout, config 0600 in 0700, no token printed', async () => {
    const e = env();
    const r = await nemoIn(['edit', clip, "add a title 'Urban Dreams'", '--quality', 'low'], {
      env: e,
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'clip.edited.mp4'));
    expect(statSync(join(dir, 'clip.edited.mp4')).size).toBeGreaterThan(1000);
    expect(r.stderr).toMatch(/uploaded clip\.mp4/);
    expect(r.stderr).toMatch(/Urban Dreams/);
    expectNoToken(r);
    const cfg = e.NEMO_CONFIG_DIR as string;
    expect(statSync(cfg).mode & 0o777).toBe(0o700);
    expect(statSync(join(cfg, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(cfg, 'credentials.json')).mode & 0o777).toBe(0o600);
    // the default name never overwrites: a second run goes to clip.edited-1.mp4
    const again = await nemoIn(['edit', clip, 'make it warmer', '--quality', 'low'], { env: e, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(join(dir, 'clip.edited-1.mp4'));
  });

  it('--json: NDJSON events with the documented fields, ending in result', async () => {
    const out = join(dir, 'json-out.mp4');
    const r = await nemoIn(['edit', clip, "add a title 'JSON'", '-o', out, '--json', '--quality', 'low'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const evs = events(r.stdout);
    const types = evs.map((e) => e.type);
    for (const t of [
      'session',
      'upload.progress',
      'chat.tool',
      'chat.text',
      'render.submitted',
      'render.progress',
      'download.progress',
      'result',
    ]) {
      expect(types, t).toContain(t);
    }
    expect(types.at(-1)).toBe('result');
    const up = evs.find((e) => e.type === 'upload.progress');
    expect(up).toMatchObject({ file: clip, sentBytes: expect.any(Number), totalBytes: expect.any(Number) });
    expect(evs.find((e) => e.type === 'render.progress')).toMatchObject({
      id: expect.stringMatching(/^render_/),
      progress: expect.any(Number),
      status: expect.any(String),
    });
    expect(evs.find((e) => e.type === 'download.progress')).toMatchObject({
      receivedBytes: expect.any(Number),
    });
    expect(evs.at(-1)).toMatchObject({
      output: out,
      renderId: expect.stringMatching(/^render_/),
      sessionId: expect.any(String),
    });
    expect(existsSync(out)).toBe(true);
    expectNoToken(r);
  });

  it('several files go into one session', async () => {
    const before = await serverStats(server.url);
    const out = join(dir, 'joined.mp4');
    const r = await nemoIn(['edit', clip, join(dir, 'second.mp4'), 'join them', '-o', out, '--json'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    const after = await serverStats(server.url);
    expect(after.uploadsStored - before.uploadsStored).toBe(2);
    expect(events(r.stdout).filter((e) => e.type === 'session')).toHaveLength(1);
    expect(existsSync(out)).toBe(true);
  });

  it('--each --jobs 2: each file on its own, with its own render', async () => {
    const sub = tempDir();
    const a = await clipIn(sub, 'a.mp4');
    const b = await clipIn(sub, 'b b.mp4');
    const r = await nemoIn(
      ['edit', a, b, "add a title 'Each'", '--each', '--jobs', '2', '--json', '--quality', 'low'],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const results = events(r.stdout).filter((e) => e.type === 'result');
    expect(results.map((e) => e.file).sort()).toEqual([a, b].sort());
    expect(new Set(results.map((e) => e.sessionId)).size).toBe(2);
    expect(existsSync(join(sub, 'a.edited.mp4'))).toBe(true);
    expect(existsSync(join(sub, 'b b.edited.mp4'))).toBe(true);
    expect(r.stderr).toMatch(/\[b b\.mp4\] /);
  });

  it('an instruction the agent cannot do: its reply is shown and the unchanged draft is flagged', async () => {
    const r = await nemoIn(['edit', clip, 'make it look like a Wes Anderson film', '--no-download'], {
      env: env(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/can't do/);
    expect(r.stderr).toMatch(/the draft did not change/);
  });

  it('--no-download prints the render URL', async () => {
    const r = await nemoIn(['edit', clip, "add a title 'URL'", '--no-download'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+/);
  });
});

describe('nemo edit --local', () => {
  it('edits on this machine: no request to any server, result event, local draft saved for state --local', async () => {
    const e = testEnv({ NEMO_API_URL: 'http://127.0.0.1:9' }); // nothing listens there: any request would fail
    const out = join(dir, 'local.mp4');
    const r = await nemoIn(
      ['edit', clip, "add a title 'Local', cut the first 0.5 seconds", '--local', '-o', out, '--json'],
      { env: e },
    );
    expect(r.code, r.stderr).toBe(0);
    const evs = events(r.stdout);
    expect(evs.map((x) => x.type)).toContain('local.plan');
    const result = evs.at(-1);
    expect(result).toMatchObject({
      type: 'result',
      output: out,
      encodePasses: 1,
      durationMs: expect.any(Number),
    });
    expect(existsSync(out)).toBe(true);
    const draftFile = result?.draftFile as string;
    expect(dirname(draftFile)).toBe(join(e.NEMO_CONFIG_DIR as string, 'local', 'default', 'drafts'));
    expect(statSync(draftFile).mode & 0o777).toBe(0o600);
    const state = await nemoIn(['state', '--local'], { env: e });
    expect(state.code, state.stderr).toBe(0);
    expect(state.stdout).toMatch(/^Timeline \(2 tracks\)/);
    expect(state.stdout).toMatch(/1 Video\s+\|█/);
    const json = await nemoIn(['state', '--local', '--json'], { env: e });
    expect(JSON.parse(json.stdout).draft.t[0].sg.length).toBeGreaterThan(0);
    expect(readFileSync(draftFile, 'utf8')).toContain('"sg"');
    // another run into another output keeps its own draft: state --local -o picks one, plain shows the newest
    const out2 = join(dir, 'local-2.mp4');
    const second = await nemoIn(['edit', clip, 'cut the first 0.5 seconds', '--local', '-o', out2], {
      env: e,
    });
    expect(second.code, second.stderr).toBe(0);
    expect((await nemoIn(['state', '--local', '-o', out], { env: e })).stdout).toMatch(
      /^Timeline \(2 tracks\)/,
    );
    expect((await nemoIn(['state', '--local', '-o', out2], { env: e })).stdout).toMatch(
      /^Timeline \(1 track\)/,
    );
    expect((await nemoIn(['state', '--local'], { env: e })).stdout).toMatch(/^Timeline \(1 track\)/);
    const none = await nemoIn(['state', '--local', '-o', join(dir, 'never.mp4')], { env: e });
    expect(none.code).toBe(1);
  });

  it('engine=local in config routes edit to the engine; unknown clauses exit 2 listing what is supported', async () => {
    const e = testEnv({ NEMO_API_URL: 'http://127.0.0.1:9' });
    expect((await nemoIn(['config', 'set', 'engine', 'local'], { env: e })).code).toBe(0);
    const r = await nemoIn(
      ['edit', clip, 'make it look like a Wes Anderson film', '-o', join(dir, 'never.mp4')],
      { env: e },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not understand/);
    expect(r.stderr).toMatch(/→ it can do: .*trim/);
    expect(existsSync(join(dir, 'never.mp4'))).toBe(false);
  });
});
