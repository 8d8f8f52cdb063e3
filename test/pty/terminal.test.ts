/**
 * The terminal as a person meets it, through a real pseudo-terminal (tmux): Ctrl-C typed on the
 * keyboard while a spinner shows, the terminal closing (SIGHUP), and what a spinner prints on a TTY
 * with and without CI. CI is unset inside the pane so nemo animates as in a person's terminal.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { BIN as BUILT_BIN, clipIn, ensureBuilt } from '../e2e/helpers.js';
import { makeClip } from '../helpers/media.js';
import { Pane, sttyFlag } from './tmux.js';

/** NEMO_TEST_BIN runs these tests against another build (e.g. an older commit, to see them fail). */
const BIN = process.env.NEMO_TEST_BIN ?? BUILT_BIN;

let root: string;
/** Long enough that rendering it takes several seconds (1280×720, 20 s). */
let longClip: string;
let shortClip: string;
let pane: Pane | undefined;

beforeAll(async () => {
  await ensureBuilt();
  root = mkdtempSync(join(tmpdir(), 'nemo-pty-media-'));
  longClip = await makeClip(join(root, 'long.mp4'), { durationS: 20, width: 1280, height: 720 });
  shortClip = await clipIn(root, 'short.mp4', 2);
}, 180_000);
afterEach(() => {
  pane?.close();
  pane = undefined;
});

/** A fresh working dir with its own TMPDIR and config dir, so leftovers are nemo's and this test's. */
function workspace(): { work: string; tmp: string; env: Record<string, string> } {
  const work = mkdtempSync(join(tmpdir(), 'nemo-pty-work-'));
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  return { work, tmp, env: { TMPDIR: tmp, NEMO_CONFIG_DIR: join(work, 'config'), NO_COLOR: '1' } };
}

/** ffmpeg processes whose command line names `file` (read from /proc: no procps needed). */
function ffmpegOn(file: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (/ffmpeg$/.test(argv[0] ?? '') && argv.includes(file)) found.push(`${pid} ${argv.join(' ')}`);
  }
  return found;
}

const RENDER_BAR = /rendering \[[█░]{20}\] \d+%/;

function expectNothingLeft(work: string, tmp: string, out: string): void {
  expect(existsSync(out), 'nothing under the output name').toBe(false);
  expect(readdirSync(work).filter((f) => f.includes('nemo-tmp'))).toEqual([]);
  expect(readdirSync(tmp), 'no temp files or render dirs').toEqual([]);
}

function expectSaneTerminal(p: Pane): void {
  const stty = p.stty();
  expect(sttyFlag(stty, 'icanon'), stty).toBe(true);
  expect(sttyFlag(stty, 'echo'), stty).toBe(true);
  expect(sttyFlag(stty, 'isig'), stty).toBe(true);
  expect(p.screen()).toMatch(/\[stty\].* icanon .*/);
}

describe('Ctrl-C typed in a real terminal', () => {
  it('during a --local render: exit 130 at once, ffmpeg gone, nothing under the output name, terminal not raw', async () => {
    const { work, tmp, env } = workspace();
    const out = join(work, 'out.mp4');
    pane = await Pane.start({
      argv: [process.execPath, BIN, 'edit', longClip, 'make it warmer', '--local', '-o', out],
      cwd: work,
      env,
      unset: ['CI'],
    });
    await pane.waitFor(RENDER_BAR, 120_000);
    expect(ffmpegOn(longClip), 'the render is running').not.toEqual([]);
    pane.keys('C-c');
    expect(await pane.exitCode(), pane.screen()).toBe(130);
    expect(pane.screen()).toMatch(/interrupted \(SIGINT\)/);
    expectNothingLeft(work, tmp, out);
    expect(ffmpegOn(longClip)).toEqual([]);
    expectSaneTerminal(pane);
  }, 240_000);

  describe('during a cloud render wait', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer({ port: 0, startCredits: 100_000, heartbeatMs: 200 });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('exit 130 and the `nemo export --resume <id>` line on screen; terminal not raw', async () => {
      const { work, tmp, env } = workspace();
      const out = join(work, 'cloud.mp4');
      server.faults.add({ name: 'slow-render', ms: 120_000 });
      pane = await Pane.start({
        argv: [process.execPath, BIN, 'edit', shortClip, "add a title 'Ctrl-C'", '-o', out],
        cwd: work,
        env: { ...env, NEMO_API_URL: server.url },
        unset: ['CI'],
      });
      const shown = await pane.waitFor(/render (\S+) submitted[\s\S]*rendering/, 120_000);
      const id = /render (\S+) submitted/.exec(shown)?.[1] as string;
      pane.keys('C-c');
      expect(await pane.exitCode(), pane.screen()).toBe(130);
      expect(pane.screen()).toContain(`nemo export --resume ${id}`);
      expectNothingLeft(work, tmp, out);
      expectSaneTerminal(pane);
      server.faults.clear();
    }, 240_000);
  });
});

describe('the terminal closing', () => {
  it.each([
    ['SIGHUP from the shell', true],
    ['only the dead terminal (EIO), no signal', false],
  ])(
    'during a --local render (%s): exit 130, ffmpeg gone, no temp file, nothing under the output name',
    async (_, forwardHangUp) => {
      const { work, tmp, env } = workspace();
      const out = join(work, 'out.mp4');
      pane = await Pane.start({
        argv: [process.execPath, BIN, 'edit', longClip, 'make it warmer', '--local', '-o', out],
        cwd: work,
        env,
        unset: ['CI'],
        forwardHangUp,
      });
      await pane.waitFor(RENDER_BAR, 120_000);
      expect(ffmpegOn(longClip), 'the render is running').not.toEqual([]);
      pane.hangUp();
      // the pane's script outlives the hang-up (it traps HUP) and records nemo's exit status
      expect(await pane.exitCode()).toBe(130);
      expectNothingLeft(work, tmp, out);
      expect(ffmpegOn(longClip)).toEqual([]);
    },
    240_000,
  );
});

describe('what a spinner prints on a terminal', () => {
  const spinnerFrame = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
  // ora hides the cursor and erases the line it redraws
  const redraw = /\u001b\[\?25l|\u001b\[2K/;

  it('CI unset: the spinner animates (frames, redraws), names the phase, and ends with the saved line', async () => {
    const { work, env } = workspace();
    const out = join(work, 'short.mp4');
    pane = await Pane.start({
      argv: [process.execPath, BIN, 'edit', shortClip, 'make it warmer', '--local', '-o', out],
      cwd: work,
      env,
      unset: ['CI'],
    });
    expect(await pane.exitCode(120_000), pane.screen()).toBe(0);
    const raw = pane.raw();
    expect(raw).toMatch(spinnerFrame);
    expect(raw).toMatch(redraw);
    expect(raw).toContain('reading the inputs');
    expect(raw).toContain('rendering');
    expect(pane.screen()).toContain(`✔ saved ${out}`);
    expectSaneTerminal(pane);
  }, 180_000);

  it('CI set: no spinner escapes, milestone lines instead', async () => {
    const { work, env } = workspace();
    const out = join(work, 'short.mp4');
    pane = await Pane.start({
      argv: [process.execPath, BIN, 'edit', shortClip, 'make it warmer', '--local', '-o', out],
      cwd: work,
      env: { ...env, CI: 'true' },
    });
    expect(await pane.exitCode(120_000), pane.screen()).toBe(0);
    const raw = pane.raw();
    expect(raw).not.toMatch(spinnerFrame);
    expect(raw).not.toMatch(redraw);
    expect(pane.screen()).toMatch(/rendering 100%/);
    expect(pane.screen()).toContain(`saved ${out}`);
  }, 180_000);
});

describe('Ctrl-C in nemo chat (readline holds the terminal in raw mode while it reads)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, startCredits: 100_000, heartbeatMs: 200 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('while the agent works: the turn stops, exit 130, terminal not raw', async () => {
    const { work, env } = workspace();
    server.faults.add({ name: 'slow-agent', ms: 120_000 });
    pane = await Pane.start({
      argv: [process.execPath, BIN, 'chat', '--new'],
      cwd: work,
      env: { ...env, NEMO_API_URL: server.url },
      unset: ['CI'],
    });
    await pane.waitFor(/nemo> /, 60_000);
    pane.keys('make it warmer', 'Enter');
    await pane.waitFor(/working/, 60_000);
    pane.keys('C-c');
    expect(await pane.exitCode(), pane.screen()).toBe(130);
    expect(pane.screen()).toMatch(/interrupted/);
    expectSaneTerminal(pane);
    server.faults.clear();
  }, 240_000);
});
