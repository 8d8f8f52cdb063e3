import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { nemoIn } from '../helpers/in-process.js';
import { BIN, events, expectNoToken, nemo, startSuite, testEnv } from './helpers.js';

let server: RunningServer;
let dir: string;
let clip: string;

beforeAll(async () => {
  ({ server, dir, clip } = await startSuite({ startCredits: 100_000 }));
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const env = (extra: Record<string, string> = {}) => testEnv({ NEMO_API_URL: server.url, ...extra });

describe('nemo chat fed from piped stdin', () => {
  it('Chinese intents: 上传 / 状态 / 积分 / 导出 run locally; the rest goes to the agent', async () => {
    const e = env();
    const script = [`上传 "${clip}"`, "add a title 'Chat'", '状态', '积分', '导出'].join('\n');
    const r = await nemoIn(['chat', '--new', '--quality', 'low'], { env: e, input: `${script}\n`, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Timeline \(2 tracks\): 1\. Video: .* 2\. Title: "Chat"/);
    expect(lines.some((l) => /^2 Title\s+\|█/.test(l))).toBe(true);
    expect(lines.some((l) => /^credits: \d+ available/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(join(dir, 'clip.edited.mp4'));
    expect(statSync(join(dir, 'clip.edited.mp4')).size).toBeGreaterThan(1000);
    expectNoToken(r);
  });

  it('English intents with --json: every line of the stream parses', async () => {
    const e = env();
    const output = join(dir, 'chat-en.mp4');
    const script = [`upload ${clip}`, 'make it warmer', 'show tracks', 'balance', 'send me the video'].join(
      '\n',
    );
    const r = await nemoIn(['chat', '--new', '--json', '-o', output], { env: e, input: `${script}\n` });
    expect(r.code, r.stderr).toBe(0);
    const evs = events(r.stdout);
    const types = evs.map((x) => x.type);
    expect(types).toContain('upload.progress');
    expect(types).toContain('chat.done');
    expect(evs.find((x) => x.type === 'state')).toMatchObject({ draft: { t: expect.any(Array) } });
    expect(evs.find((x) => x.type === 'credits')).toMatchObject({ available: expect.any(Number) });
    expect(evs.at(-1)).toMatchObject({ type: 'result', output });
    expect(existsSync(output)).toBe(true);
    // the chat kept its session: it is the profile's current one, with the upload recorded
    const show = await nemoIn(['session', 'show', '--json'], { env: e });
    expect(JSON.parse(show.stdout)).toMatchObject({
      files: [clip],
      lastRenderId: expect.stringMatching(/^render_/),
    });
  });

  it('a failing line is reported and the chat goes on; the exit code is the failure', async () => {
    const r = await nemoIn(['chat', '--new'], {
      env: env(),
      input: `upload ${join(dir, 'missing.mp4')}\ncredits\n`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: .*missing\.mp4/);
    expect(r.stdout).toMatch(/^credits: \d+ available/m);
  });
});

describe('nemo chat --local', () => {
  it('the iterative workflow on this machine: upload, instructions, 状态, export; no request made', async () => {
    const e = testEnv({ NEMO_API_URL: 'http://127.0.0.1:9' });
    const output = join(dir, 'chat-local.mp4');
    const script = [`upload ${clip}`, "add a title 'Local'", 'make it warmer', '状态', '导出'].join('\n');
    const r = await nemoIn(['chat', '--local', '--new', '-o', output], { env: e, input: `${script}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/• colour grade: warm/);
    expect(r.stdout).toMatch(/^Timeline \(2 tracks\).*Title: "Local"/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(output);
    expect(statSync(output).size).toBeGreaterThan(1000);
    const state = await nemoIn(['state', '--local', '--json'], { env: e });
    expect(JSON.parse(state.stdout).draft.t).toHaveLength(2);
    const unknown = await nemoIn(['chat', '--local'], {
      env: e,
      input: 'make it look like a Wes Anderson film\n',
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/does not understand/);
  });
});

describe('sessions, config, auth', () => {
  it('session new|list|use|show and state of the current session', async () => {
    const e = env();
    const a = (await nemoIn(['session', 'new'], { env: e })).stdout.trim();
    const b = (await nemoIn(['session', 'new'], { env: e })).stdout.trim();
    expect(a).not.toBe(b);
    const list = await nemoIn(['session', 'list'], { env: e });
    expect(list.stdout).toMatch(new RegExp(`^\\* ${b}`, 'm'));
    expect((await nemoIn(['session', 'use', a], { env: e })).code).toBe(0);
    expect(JSON.parse((await nemoIn(['session', 'list', '--json'], { env: e })).stdout).current).toBe(a);
    expect((await nemoIn(['session', 'use', 'nope'], { env: e })).code).toBe(2);
    const up = await nemoIn(['upload', clip], { env: e });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(a);
    const state = await nemoIn(['state', '--json'], { env: e });
    expect(JSON.parse(state.stdout)).toMatchObject({
      sessionId: a,
      summary: expect.stringMatching(/^Timeline \(1 track\)/),
    });
    // nemo serve is not NemoVideo's API: a link needs the web app it belongs to
    const refused = await nemoIn(['link'], { env: e });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not NemoVideo's/);
    const link = await nemoIn(['link'], { env: { ...e, NEMO_WEB_URL: 'https://web.example' } });
    expect(link.stdout.trim()).toMatch(/^https:\/\/web\.example\/workspace\/claim\?ct=/);
    expect(link.stdout).not.toContain('nmv_usr_');
  });

  it('config get|set|list per profile; NEMO_PROFILE and -p', async () => {
    const e = env();
    expect((await nemoIn(['config', 'set', 'quality', 'medium'], { env: e })).code).toBe(0);
    expect((await nemoIn(['-p', 'work', 'config', 'set', 'language', 'zh'], { env: e })).code).toBe(0);
    expect((await nemoIn(['config', 'get', 'quality'], { env: e })).stdout).toBe('medium\n');
    expect((await nemoIn(['config', 'get', 'quality'], { env: { ...e, NEMO_PROFILE: 'work' } })).stdout).toBe(
      '\n',
    );
    expect((await nemoIn(['config', 'get', 'language', '-p', 'work'], { env: e })).stdout).toBe('zh\n');
    const list = JSON.parse((await nemoIn(['config', 'list', '--json'], { env: e })).stdout);
    expect(list).toMatchObject({ profile: 'default', settings: { quality: 'medium' } });
    expect((await nemoIn(['config', 'set', 'quality', 'ultra'], { env: e })).code).toBe(2);
  });

  it("concurrent nemo processes sharing the config file do not lose each other's writes", async () => {
    const e = env();
    const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
    const runs = await Promise.all(
      names.map((p) => nemoIn(['-p', p, 'config', 'set', 'language', 'en'], { env: e })),
    );
    expect(runs.map((r) => r.code)).toEqual(names.map(() => 0));
    const saved = JSON.parse(readFileSync(join(e.NEMO_CONFIG_DIR as string, 'config.json'), 'utf8'));
    expect(Object.keys(saved.profiles).sort()).toEqual(names);
  });

  it('auth: login (anonymous), status with its source, NEMO_TOKEN wins, logout; --debug never shows the token', async () => {
    const e = env();
    expect((await nemoIn(['auth', 'status'], { env: e })).code).toBe(4);
    const login = await nemoIn(['auth', 'login', '--json'], { env: e });
    expect(login.code, login.stderr).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({
      anonymous: true,
      userId: expect.stringMatching(/^anon_/),
    });
    const status = JSON.parse((await nemoIn(['auth', 'status', '--json'], { env: e })).stdout);
    expect(status).toMatchObject({ source: 'profile', anonymous: true });
    const token = (await nemoIn(['auth', 'token'], { env: e })).stdout.trim();
    expect(token).toMatch(/^nmv_usr_/);
    const viaEnv = JSON.parse(
      (await nemoIn(['auth', 'status', '--json'], { env: { ...e, NEMO_TOKEN: token } })).stdout,
    );
    expect(viaEnv.source).toBe('env');
    const debug = await nemoIn(['credits', '--debug'], { env: e });
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stderr).toMatch(/nemo:api GET .*\/api\/credits/);
    expectNoToken(debug);
    expect((await nemoIn(['auth', 'logout'], { env: e })).code).toBe(0);
    expect((await nemoIn(['auth', 'status'], { env: e })).code).toBe(4);
  });
});

describe('nemo render status|wait|cancel', () => {
  afterEach(() => server.faults.clear());

  it('shows, waits for and cancels render jobs', async () => {
    const e = env();
    server.faults.add({ name: 'slow-render', ms: 3000 });
    const edit = await nemoIn(
      ['edit', clip, "add a title 'R'", '--no-download', '--json', '--timeout', '0.5'],
      { env: e },
    );
    expect(edit.code, edit.stderr).toBe(3);
    const id = events(edit.stdout).find((x) => x.type === 'render.submitted')?.id as string;
    const status = JSON.parse((await nemoIn(['render', 'status', id, '--json'], { env: e })).stdout);
    expect(status).toMatchObject({
      id,
      status: expect.stringMatching(/pending|processing/),
      progress: expect.any(Number),
    });
    const waited = await nemoIn(['render', 'wait', id, '--json'], { env: e });
    expect(waited.code, waited.stderr).toBe(0);
    expect(events(waited.stdout).at(-1)).toMatchObject({
      type: 'result',
      id,
      status: 'completed',
      url: expect.stringMatching(/^http/),
    });
    server.faults.add({ name: 'slow-render', ms: 5000 });
    const again = await nemoIn(['export', '--no-download', '--json', '--timeout', '0.5'], { env: e });
    const second = events(again.stdout).find((x) => x.type === 'render.submitted')?.id as string;
    const cancelled = await nemoIn(['render', 'cancel', second], { env: e });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${second} cancelled`));
  });
});

describe('nemo serve, completion, help', () => {
  it('serve: URL on stdout, "Ctrl-C to stop" on stderr, faults from flags, clean stop on SIGINT', async () => {
    const run = nemo(['serve', '--port', '0', '--fault', 'html-503:path=/api/credits,times=-1'], {
      env: testEnv(),
    });
    const url = await new Promise<string>((resolve) => {
      let buf = '';
      run.child.stdout?.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.trim());
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const credits = await nemoIn(['credits'], { env: testEnv({ NEMO_API_URL: url }) });
    expect(credits.code).toBe(3);
    run.child.kill('SIGINT');
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Ctrl-C to stop/);
    expect((await nemoIn(['serve', '--fault', 'no-such-fault'], { env: testEnv() })).code).toBe(2);
  });

  it.each(['bash', 'zsh', 'fish'])('completion %s names the commands', async (shell) => {
    const r = await nemoIn(['completion', shell], { env: testEnv() });
    expect(r.code).toBe(0);
    for (const word of ['edit', 'chat', 'export', 'session', 'resume']) expect(r.stdout).toContain(word);
  });

  it('the bash completion completes commands, subcommands and options in a real bash', () => {
    const complete = (words: string) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source <(node '${BIN}' completion bash); COMP_WORDS=(${words}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _nemo; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete('nemo ex')).toBe('export');
    expect(complete('nemo auth l')).toBe('login logout');
    expect(complete('nemo edit --lo')).toBe('--local');
  });

  it('help exit-codes, help <command>, --help examples, usage errors exit 2 with a suggestion', async () => {
    const codes = await nemoIn(['help', 'exit-codes'], { env: testEnv() });
    expect(codes.stdout).toMatch(/130\s+interrupted/);
    const auth = await nemoIn(['help', 'auth', 'login'], { env: testEnv() });
    expect(auth.stdout).toMatch(/--with-token/);
    for (const cmd of [
      'edit',
      'chat',
      'upload',
      'state',
      'export',
      'render',
      'credits',
      'link',
      'auth',
      'session',
      'config',
      'serve',
      'completion',
    ]) {
      const h = await nemoIn([cmd, '--help'], { env: testEnv() });
      expect(h.stdout, cmd).toMatch(/Examples:|Inside the chat/);
    }
    const typo = await nemoIn(['exprot'], { env: testEnv() });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean export\?/);
  });
});
