import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { nemoIn } from '../helpers/in-process.js';
import { BIN, ensureBuilt, ROOT, tempDir, testEnv } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ port: 0 });
});
afterAll(() => server.close());

describe('what people expect of a CLI (gh, clig.dev), in process', () => {
  it('nemo version, -v and --version print the version; --json adds Node', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    for (const args of [['version'], ['-v'], ['--version']]) {
      const r = await nemoIn(args, { env: testEnv() });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg}\n`);
    }
    const j = await nemoIn(['version', '--json'], { env: testEnv() });
    expect(JSON.parse(j.stdout)).toEqual({ version: pkg, node: process.versions.node });
  });

  it('help exit-codes --json is the table as JSON', async () => {
    const r = await nemoIn(['help', 'exit-codes', '--json'], { env: testEnv() });
    expect(r.code).toBe(0);
    const table = JSON.parse(r.stdout) as { code: number; meaning: string }[];
    expect(table.map((t) => t.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 130]);
  });

  it('completion scripts complete values: --quality, --format and the shells', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await nemoIn(['completion', shell], { env: testEnv() });
      expect(r.code).toBe(0);
      const flag = (name: string) => (shell === 'fish' ? `-l ${name} -xa '` : `--${name}\\)? .*`);
      expect(r.stdout).toMatch(new RegExp(`${flag('quality')}low medium high`));
      expect(r.stdout).toMatch(new RegExp(`${flag('format')}mp4 webm mov gif`));
      if (shell === 'fish')
        for (const sh of ['bash', 'zsh', 'fish']) expect(r.stdout).toContain(`completion' -a ${sh}`);
      else expect(r.stdout).toMatch(/bash zsh fish/);
    }
    const bad = await nemoIn(['completion', 'tcsh'], { env: testEnv() });
    expect(bad.code).toBe(2);
  });

  it('bash really completes a --quality value and a file name after edit (a real bash)', async () => {
    const script = (await nemoIn(['completion', 'bash'], { env: testEnv() })).stdout;
    const probe = (line: string[], cword: number) =>
      spawnSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${cword}; _nemo; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { cwd: join(ROOT, 'samples'), encoding: 'utf8' },
      ).stdout;
    expect(probe(['nemo', 'edit', 'x.mp4', '--quality', 'me'], 4).trim()).toBe('medium');
    expect(probe(['nemo', 'edit', 'samp'], 2)).toContain('sample.mp4');
  });

  it('nemo credits prints labelled numbers; --json the object', async () => {
    const env = testEnv({ NEMO_API_URL: server.url });
    const r = await nemoIn(['credits'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^available: \d+\nfrozen: \d+\ntotal: \d+\n$/);
  });

  it("nemo link refuses when the API is not NemoVideo's (before anything is sent)", async () => {
    const before = (await server.stats()).requests;
    const r = await nemoIn(['link'], { env: testEnv({ NEMO_API_URL: server.url }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not NemoVideo's/);
    expect(r.stderr).toMatch(/NEMO_WEB_URL/);
    expect((await server.stats()).requests).toEqual(before);
  });
});

describe('the manual page', () => {
  beforeAll(ensureBuilt, 600_000);
  it('dist/nemo.1 is built from the program: every command and exit code, and man renders it', () => {
    const page = readFileSync(join(ROOT, 'dist', 'nemo.1'), 'utf8');
    expect(page).toMatch(/^\.TH NEMO 1/);
    for (const cmd of ['edit', 'chat', 'export', 'serve', 'completion', 'version', 'auth login'])
      expect(page).toContain(`.B nemo ${cmd}`);
    expect(page).toContain('.B 130');
    const man = spawnSync('man', ['-l', join(ROOT, 'dist', 'nemo.1')], {
      encoding: 'utf8',
      env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' },
    });
    if (man.error) return; // no man(1) on this machine: the structure above is still checked
    expect(man.stdout).toMatch(/EXIT STATUS/);
    expect(spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).status).toBe(0);
  });
});

describe('requests that are only half clear are refused (exit 2), in process', () => {
  it('-o - is refused, and no file named "-" appears', async () => {
    const dir = tempDir();
    const r = await nemoIn(
      ['edit', join(ROOT, 'samples', 'sample.mp4'), 'trim silences', '--local', '-o', '-'],
      {
        env: testEnv(),
        cwd: dir,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not to stdout/);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('several files with --local and no word about joining: exit 2 with both fixes; "join" or --each goes on', async () => {
    const clip = join(ROOT, 'samples', 'sample.mp4');
    const r = await nemoIn(['edit', clip, clip, 'trim silences', '--local'], { env: testEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not say to join them/);
    expect(r.stderr).toMatch(/join the clips.*--each/);
    for (const args of [
      ['edit', clip, clip, 'join the clips, trim silences', '--local', '--dry-run'],
      ['edit', clip, clip, 'trim silences', '--local', '--each', '--dry-run'],
    ]) {
      const ok = await nemoIn(args, { env: testEnv() });
      expect(ok.code, ok.stderr).toBe(0);
    }
  });
});
