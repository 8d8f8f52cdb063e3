import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/engine/ffmpeg.js';
import type { RunningServer } from '../../src/server/index.js';
import { sendJson, startTestServer, type TestServer } from '../helpers/http.js';
import { nemoIn } from '../helpers/in-process.js';
import { events, nemo, startSuite, tempDir, testEnv } from './helpers.js';
import { startProxy } from './proxy.js';

/**
 * Issue 10, items 14–16 and 19, through the built CLI: what a server (or a proxy) sends back is
 * printed without the token and without terminal control sequences; children never get the token;
 * broken config files name the file and the fix and never echo their content.
 */

let server: RunningServer;
let clip: string;
let other: TestServer | undefined;

beforeAll(async () => {
  ({ server, clip } = await startSuite({ startCredits: 100_000 }));
}, 300_000);
afterEach(async () => {
  await other?.close();
  other = undefined;
});
afterAll(async () => {
  await server?.close();
});

const TOKEN = 'nmv_usr_Zq81secretEchoValue42';
/** A token in no known format: only "the current token's value" can hide it. */
const ODD_TOKEN = 'corp-sso-7f3a9b2c4d5e6f708192';

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function expectClean(text: string, ...secrets: string[]): void {
  for (const s of secrets) expect(text, text).not.toContain(s);
  // the bearer value without its prefix, too
  for (const s of secrets) expect(text).not.toContain(s.slice(8));
}

describe('a token echoed by a server or a proxy is never printed (item 14)', () => {
  for (const [status, token] of [
    [400, TOKEN],
    [500, ODD_TOKEN],
  ] as const) {
    it(`HTTP ${status} echoing the Authorization header: stderr and the --json error event hide it`, async () => {
      other = await startTestServer((req, res) => {
        const auth = String(req.headers.authorization ?? '');
        sendJson(res, status, {
          code: status,
          message: `upstream rejected ${auth} (token was ${auth.replace(/^Bearer /, '')})`,
          hint: `retry with ${auth}`,
        });
      });
      const env = testEnv({ NEMO_API_URL: other.url, NEMO_TOKEN: token });
      const text = await nemoIn(['credits'], { env });
      const json = await nemoIn(['credits', '--json'], { env });
      // the server did see the token (so it really was echoed)
      expect(other.requests.some((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
      expect(text.code).not.toBe(0);
      expect(text.stderr).toMatch(/^error: .*upstream rejected Bearer \*\*\*/m);
      expectClean(text.stdout + text.stderr, token);
      expectClean(json.stdout + json.stderr, token);
      const ev = events(json.stdout).at(-1);
      expect(ev).toMatchObject({ type: 'error', message: expect.stringContaining('upstream rejected') });
    }, 60_000);
  }

  it('the profile token (not NEMO_TOKEN) echoed back is hidden as well', async () => {
    other = await startTestServer((req, res) =>
      sendJson(res, 400, { code: 400, message: `bad ${String(req.headers.authorization)}` }),
    );
    const env = testEnv({ NEMO_API_URL: other.url });
    const dir = env.NEMO_CONFIG_DIR as string;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const creds = { profiles: { default: { token: ODD_TOKEN, anonymous: false } } };
    writeFileSync(join(dir, 'credentials.json'), JSON.stringify(creds), { mode: 0o600 });
    const r = await nemoIn(['credits', '--json'], { env });
    expect(other.requests.at(-1)?.headers.authorization).toBe(`Bearer ${ODD_TOKEN}`);
    expectClean(r.stdout + r.stderr, ODD_TOKEN);
  });
});

const ESC = '\x1b';
const EVIL = `${ESC}]52;c;cHduZWQ=\x07${ESC}]0;owned title${ESC}\\${ESC}[2J${ESC}[H\x9b6n`;

describe('terminal escape injection (item 15)', () => {
  it("the agent's text with OSC 52 / OSC 0 / clear-screen reaches neither the terminal nor --json values", async () => {
    const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
    const sse = [
      frame({
        content: { parts: [{ text: `Hello${EVIL} there\r\rOVERWRITE` }], role: 'model' },
        author: 'nemo_agent',
        partial: true,
      }),
      frame({
        content: { parts: [{ text: `Hello${EVIL} there\r\rOVERWRITE` }], role: 'model' },
        author: 'nemo_agent',
      }),
    ].join('');
    other = await startProxy(server.url, {
      answer: (rec, res) => {
        if (!rec.url.startsWith('/run_sse')) return false;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(sse);
        return true;
      },
    });
    const env = testEnv({ NEMO_API_URL: other.url });
    const text = await nemoIn(['chat', '--new'], { env, input: 'make it warmer\n' });
    expect(text.stdout + text.stderr).toContain('Hello');
    expect(text.stdout + text.stderr, JSON.stringify(text)).not.toMatch(CONTROL);
    const json = await nemoIn(['chat', '--new', '--json'], { env, input: 'make it warmer\n' });
    const evs = events(json.stdout);
    const said = evs.filter((e) => e.type === 'chat.text').map((e) => String(e.text));
    expect(said.join('')).toContain('Hello');
    expect(JSON.stringify(said), json.stdout).not.toMatch(/\\u001b|\\u0007|\\u009b|\\r/);
    expect(json.stderr).not.toMatch(CONTROL);
  }, 60_000);

  it('an error message with escape sequences is printed without them (stderr and --json)', async () => {
    other = await startTestServer((_req, res) =>
      sendJson(res, 400, { code: 400, message: `nope${EVIL}\x08\x08\x08gone`, hint: `fix${EVIL}` }),
    );
    const env = testEnv({ NEMO_API_URL: other.url, NEMO_TOKEN: TOKEN });
    const r = await nemoIn(['credits', '--json'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error: .*nope/m);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).not.toMatch(/\\u001b|\\u0007|\\u009b|\\b/);
    const message = String(events(r.stdout).at(-1)?.message);
    expect(message).not.toMatch(CONTROL);
    expect(message).toContain('gone');
  });
});

describe('children never get the token (item 16)', () => {
  it('ffmpeg and ffprobe run by `nemo edit --local` see no NEMO_*, *TOKEN*, *SECRET*, *PASSWORD* or proxy password', async () => {
    const dir = tempDir();
    const real = await findFfmpeg();
    const dumps = join(dir, 'env');
    mkdirSync(dumps);
    const tools: Record<string, string> = {};
    for (const [tool, path] of [
      ['ffmpeg', real.ffmpeg],
      ['ffprobe', real.ffprobe],
    ] as const) {
      const wrapper = join(dir, tool);
      writeFileSync(wrapper, `#!/bin/sh\nenv > "${dumps}/${tool}.$$"\nexec '${path}' "$@"\n`);
      chmodSync(wrapper, 0o755);
      tools[tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'] = wrapper;
    }
    const out = join(dir, 'out.mp4');
    // a real process: what its children inherit is the point
    const r = await nemo(['edit', clip, "add a title 'Local'", '--local', '-o', out], {
      env: testEnv({
        ...tools,
        NEMO_TOKEN: TOKEN,
        GITHUB_TOKEN: 'ghp_kidsecret0001',
        MY_APP_SECRET: 'appsecret0002',
        DB_PASSWORD: 'dbpassword0003',
        no_proxy: '*',
        HTTPS_PROXY: 'http://proxyuser:proxypass0004@127.0.0.1:9',
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(dumps);
    expect(files.some((f) => f.startsWith('ffmpeg.'))).toBe(true);
    expect(files.some((f) => f.startsWith('ffprobe.'))).toBe(true);
    for (const f of files) {
      const env = readFileSync(join(dumps, f), 'utf8');
      for (const secret of [TOKEN, 'ghp_kidsecret0001', 'appsecret0002', 'dbpassword0003', 'proxypass0004'])
        expect(env, f).not.toContain(secret);
      expect(env).not.toMatch(/^NEMO_/m);
      expect(env).toMatch(/^PATH=/m);
      expect(env).toMatch(/^HTTPS_PROXY=http:\/\/127\.0\.0\.1:9$/m);
    }
  }, 120_000);
});

describe('broken config files name the file and the fix, never their content (item 19)', () => {
  const cfg = () => {
    const env = testEnv();
    mkdirSync(env.NEMO_CONFIG_DIR as string, { recursive: true, mode: 0o700 });
    return { env, dir: env.NEMO_CONFIG_DIR as string };
  };

  it('config.json or credentials.json being a directory: the file and `mv` fix, not a raw EISDIR', async () => {
    for (const name of ['config.json', 'credentials.json']) {
      const { env, dir } = cfg();
      mkdirSync(join(dir, name));
      const r = await nemoIn(name === 'config.json' ? ['config', 'list'] : ['auth', 'status'], { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`error: ${join(dir, name)} is a directory`);
      expect(r.stderr).toContain(`→ move it aside (nemo creates the file afresh): mv '${join(dir, name)}'`);
      expect(r.stderr).not.toMatch(/EISDIR: illegal/);
    }
  });

  it('NEMO_CONFIG_DIR pointing at a file: says so and how to fix it', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await nemoIn(['config', 'list'], { env: { ...testEnv(), NEMO_CONFIG_DIR: file } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: the config directory ${file} is not a directory`);
    expect(r.stderr).toMatch(/→ point NEMO_CONFIG_DIR at a directory/);
    expect(r.stderr).not.toMatch(/EEXIST: file already exists/);
  });

  it('a bare token in credentials.json is reported without quoting any of it', async () => {
    const { env, dir } = cfg();
    writeFileSync(join(dir, 'credentials.json'), `${TOKEN}\n`, { mode: 0o600 });
    const r = await nemoIn(['auth', 'status'], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'credentials.json')} is corrupted (not valid JSON)`);
    expect(r.stderr).not.toMatch(/nmv|"nm|Unexpected token/);
  });

  it('config.json symlinked to /etc/passwd: not valid JSON, and not one byte of it printed', async () => {
    const { env, dir } = cfg();
    symlinkSync('/etc/passwd', join(dir, 'config.json'));
    const r = await nemoIn(['config', 'list'], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'config.json')} is corrupted (not valid JSON)`);
    expect(r.stdout + r.stderr).not.toMatch(/root|"ro|Unexpected token/);
  });

  it('a symlinked credentials file is refused (exit 4), before it is read', async () => {
    const { env, dir } = cfg();
    const target = join(tempDir(), 'elsewhere.json');
    writeFileSync(target, JSON.stringify({ profiles: { default: { token: TOKEN } } }), { mode: 0o600 });
    symlinkSync(target, join(dir, 'credentials.json'));
    for (const args of [['auth', 'status'], ['auth', 'token'], ['credits']]) {
      const r = await nemoIn(args, { env: { ...env, NEMO_API_URL: server.url } });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toContain(`${join(dir, 'credentials.json')} is a symbolic link`);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    }
  });
});

describe('link-local targets through the CLI (item 18)', () => {
  it('NEMO_API_URL on 169.254.169.254 (cloud metadata): exit 2 naming the address, the token never sent', async () => {
    const r = await nemoIn(['credits', '--json'], {
      env: testEnv({ NEMO_API_URL: 'http://169.254.169.254', NEMO_TOKEN: TOKEN }),
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: Refusing to connect to the link-local address 169\.254\.169\.254/m);
    expect(events(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'link_local', exitCode: 2 });
  });
});
