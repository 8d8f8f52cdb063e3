import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, clipIn, ensureBuilt, tempDir, testEnv } from '../e2e/helpers.js';
import { type ReplayServer, startAdkReplay } from '../helpers/adk-replay.js';

/**
 * The spinner on a real terminal (tmux), while a replayed ADK turn (long.sse) sends nothing for a few
 * seconds: it shows from the moment the message is sent, names the running tool, and is gone at the end.
 */

const SOCKET = `nemo-adk-tty-${process.pid}`;
const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', env: ttyEnv });
let ttyEnv: Record<string, string>;
let server: ReplayServer;
let dir: string;
let clip: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('nemo-adk-tty-');
  clip = await clipIn(dir);
  server = await startAdkReplay([{ capture: 'long', pauseMs: 3000 }], { renderedFile: clip });
  const { CI: _ci, ...env } = testEnv({ NEMO_API_URL: server.url, NEMO_TOKEN: 'nmv_usr_replay_token' });
  ttyEnv = { ...env, TERM: 'xterm-256color' };
}, 120_000);
afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('nemo edit on a terminal while ADK is silent', () => {
  it('a spinner from the start, with the running tool while nothing arrives; cleared at the end', async () => {
    const output = join(dir, 'tty-out.mp4');
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = `${q(process.execPath)} ${q(BIN)} edit ${q(clip)} 'do it' -o ${q(output)}; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-x', '120', '-y', '30', '-s', 'nemo', cmd);
    const screens: string[] = [];
    const deadline = Date.now() + 40_000;
    let last = '';
    while (Date.now() < deadline) {
      last = tmux('capture-pane', '-p', '-t', 'nemo');
      screens.push(last);
      if (/EXIT=\d+/.test(last)) break;
      await sleep(150);
    }
    expect(last, last).toMatch(/EXIT=0/);
    // while the tool ran (after its line, before the reply): the spinner named it, with a running clock
    const during = screens.filter(
      (s) => s.includes('generate_video_with_seedance (long-running)') && !s.includes('video is ready'),
    );
    const spinning = during.filter((s) =>
      s.split('\n').some((l) => /working…/.test(l) && /generate_video_with_seedance/.test(l) && /\d/.test(l)),
    );
    expect(spinning.length, during.join('\n----\n')).toBeGreaterThan(0);
    // at the end: the reply once, no spinner line left behind, the video written
    const lines = last.split('\n');
    expect(lines.filter((l) => l.includes('Your generated video is ready')).length).toBe(1);
    expect(
      lines.some((l) => /working…/.test(l)),
      last,
    ).toBe(false);
    expect(existsSync(output)).toBe(true);
  });
});
