import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/engine/ffmpeg.js';
import type { RunningServer } from '../../src/server/index.js';
import { startTestServer } from '../helpers/http.js';
import { nemoIn } from '../helpers/in-process.js';
import { clipIn, events, nemo, serverStats, startSuite, tempDir, testEnv } from './helpers.js';
import { startProxy } from './proxy.js';

/** Issue 6, security and "nothing lost": what the built CLI does with the token, TLS and interrupted outputs. */

let server: RunningServer;
let clip: string;
const TOKEN = 'nmv_usr_0123456789abcdefsecret';

beforeAll(async () => {
  ({ server, clip } = await startSuite({ startCredits: 100_000 }));
}, 120_000);
afterAll(async () => {
  await server?.close();
});

/** Wrappers for ffmpeg/ffprobe that log every argv line to `log`, then run the real tool. */
async function loggingTools(dir: string): Promise<{ env: Record<string, string>; log: string }> {
  const real = await findFfmpeg();
  const log = join(dir, 'argv.log');
  const env: Record<string, string> = {};
  for (const [tool, path] of [
    ['ffmpeg', real.ffmpeg],
    ['ffprobe', real.ffprobe],
  ] as const) {
    const wrapper = join(dir, tool);
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec '${path}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    env[tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'] = wrapper;
  }
  return { env, log };
}

describe('security', () => {
  it('TLS verification is never off silently: NODE_TLS_REJECT_UNAUTHORIZED=0 is warned about, even with --quiet', async () => {
    const plain = await nemoIn(['credits'], { env: testEnv({ NEMO_API_URL: server.url }) });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/TLS/);
    const off = await nemoIn(['credits', '--quiet'], {
      env: testEnv({ NEMO_API_URL: server.url, NODE_TLS_REJECT_UNAUTHORIZED: '0' }),
    });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toMatch(/TLS certificate checks are off \(NODE_TLS_REJECT_UNAUTHORIZED=0\)/);
    expect(off.stdout).toMatch(/^available: \d+\n/);
  });

  it('the token never appears in argv: there is no flag for it, and no child process is given it', async () => {
    const dir = tempDir();
    const { env: tools, log } = await loggingTools(dir);
    const env = testEnv({ NEMO_API_URL: server.url, ...tools });
    // a stored token and NEMO_TOKEN: neither ends up on a command line
    const login = await nemoIn(['auth', 'login', '--with-token'], { env, input: TOKEN });
    expect(login.code, login.stderr).toBe(0);
    const flag = await nemoIn(['edit', clip, 'trim', '--token', TOKEN], { env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--token'/);
    // a real process: the ffmpeg wrappers it runs log their argv and environment
    const local = await nemo(['edit', '--local', clip, "add a title 'Argv'", '-o', join(dir, 'out.mp4')], {
      env: { ...env, NEMO_TOKEN: TOKEN },
    });
    expect(local.code, local.stderr).toBe(0);
    const argv = readFileSync(log, 'utf8');
    expect(argv).toMatch(/^ffmpeg .*out/m);
    expect(argv).not.toContain('nmv_usr_');
    for (const r of [login, flag, local]) expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });
});

describe('nothing lost', () => {
  it('SIGINT during a --local render: exit 130, nothing under the final name, no temp file left', async () => {
    const dir = tempDir();
    const long = await clipIn(dir, 'long.mp4', 10);
    const output = join(dir, 'out.mp4');
    const run = nemo(['edit', '--local', long, 'stabilize and denoise', '-o', output, '--json'], {
      env: testEnv(),
    });
    let stdout = '';
    let sent = false;
    run.child.stdout?.on('data', (d) => {
      stdout += d;
      if (!sent && /"local\.progress"[^\n]*"stage":"render"|"local\.progress"[^\n]*"progress"/.test(stdout)) {
        sent = true;
        run.child.kill('SIGINT');
      }
    });
    const r = await run;
    expect(sent, r.stdout).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(events(r.stdout).at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('nemo-tmp') || f.startsWith('out'))).toEqual([]);
  });

  it('concurrent nemo processes sharing one fresh profile: one anonymous token, every session kept, valid files', async () => {
    const env = testEnv({ NEMO_API_URL: server.url });
    const cfg = env.NEMO_CONFIG_DIR as string;
    const tokens = async () => (await serverStats(server.url)).requests['/api/auth/anonymous-token'] ?? 0;
    const before = await tokens();
    const runs = await Promise.all([
      ...Array.from({ length: 5 }, () => nemoIn(['session', 'new', '--json'], { env })),
      nemoIn(['config', 'set', 'quality', 'low'], { env }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    // without a lock each process asked for its own token with the same client id: all but one got a 429
    expect((await tokens()) - before).toBe(1);
    const ids = runs.slice(0, 5).map((r) => (JSON.parse(r.stdout) as { sessionId: string }).sessionId);
    const config = JSON.parse(readFileSync(join(cfg, 'config.json'), 'utf8'));
    const saved = config.profiles.default;
    expect(saved.sessions.map((x: { sessionId: string }) => x.sessionId).sort()).toEqual([...ids].sort());
    expect(saved.settings).toMatchObject({ quality: 'low' });
    const creds = JSON.parse(readFileSync(join(cfg, 'credentials.json'), 'utf8'));
    expect(creds.profiles.default.token).toMatch(/^nmv_usr_/);
    expect(readdirSync(cfg).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('SIGINT during a cloud download: exit 130, nothing under the final name, no .part left', async () => {
    // the render is served by a host that sends the first 64 KiB of a 1 MiB body, then stalls
    const cdn = await startTestServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 1024 * 1024 });
      res.write(Buffer.alloc(64 * 1024, 1));
      await new Promise((resolve) => res.on('close', resolve));
    });
    const proxy = await startProxy(server.url, {
      mapJson: (rec, text) =>
        /^\/api\/render\/proxy\/(lambda\/)?render_[^/]+$/.test(rec.url)
          ? text.replace(/http:\/\/127\.0\.0\.1:\d+\/renders\/[^"]+/g, `${cdn.url}/slow.mp4`)
          : text,
    });
    try {
      const dir = tempDir();
      const output = join(dir, 'out.mp4');
      const run = nemo(['edit', clip, "add a title 'Cut'", '-o', output, '--json', '--quality', 'low'], {
        env: testEnv({ NEMO_API_URL: proxy.url }),
      });
      let stdout = '';
      let sent = false;
      run.child.stdout?.on('data', (d) => {
        stdout += d;
        if (!sent && /"download\.progress"[^\n]*"receivedBytes":[1-9]/.test(stdout)) {
          sent = true;
          run.child.kill('SIGINT');
        }
      });
      const r = await run;
      expect(sent, r.stdout).toBe(true);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/nothing was left under/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await proxy.close();
      await cdn.close();
    }
  });
});
