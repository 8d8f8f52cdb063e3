import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from '../../src/config/lock.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { makeClip } from '../helpers/media.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'nemo.js');

/**
 * Builds dist/ once per vitest run (workers share the run's parent pid), so the tests spawn the
 * BUILT CLI. Type errors elsewhere do not block: tsc still emits.
 */
export async function ensureBuilt(): Promise<void> {
  const marker = join(tmpdir(), `nemo-e2e-built-${process.ppid}`);
  // the build runs as child processes awaited asynchronously, so the lock's holder keeps refreshing it
  // (a build that blocked the event loop would look stale to the other workers after 10 s)
  await withLock(
    marker,
    async () => {
      if (existsSync(marker)) return;
      await run([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
      // what `npm run build` does next: the CLI bundle bin/nemo.js loads (dist/bin), then the cached help
      const bundle = await run([join(ROOT, 'scripts', 'bundle.mjs')]);
      if (bundle.code !== 0) throw new Error(`the CLI bundle did not build:\n${bundle.stderr}`);
      if (!existsSync(join(ROOT, 'dist', 'bin', 'nemo.js')))
        throw new Error('npm run build did not produce dist/bin/nemo.js');
      await run([join(ROOT, 'dist', 'cli', 'write-help.js')]);
      writeFileSync(marker, String(Date.now()));
    },
    { waitMs: 10 * 60_000 },
  );
}

/** Runs `node <args>` in the repo and waits for it without blocking the event loop. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Env for one test: a fresh config dir that nemo creates itself, CI=1, no colours, no inherited NEMO_* settings. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('NEMO_') && k !== 'FORCE_COLOR') env[k] = v;
  return {
    ...env,
    CI: '1',
    NO_COLOR: '1',
    NEMO_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'nemo-e2e-cfg-')), 'nemo'),
    ...extra,
  };
}

/** Spawns `node bin/nemo.js …` (no TTY) and collects its output. */
export function nemo(
  args: string[],
  opts: { env: Record<string, string>; input?: string; cwd?: string; uid?: number },
): Promise<RunResult> & { child: ChildProcess } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: opts.env,
    cwd: opts.cwd,
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  child.stdin?.end(opts.input ?? '');
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return Object.assign(done, { child });
}

/** NDJSON stdout → events (every line must parse). */
export function events(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** A 320×180 H.264/AAC clip with a tone, `seconds` long (the shared lavfi fixture). */
export function clipIn(dir: string, name = 'clip.mp4', seconds = 2): Promise<string> {
  return makeClip(join(dir, name), { durationS: seconds });
}

export function tempDir(prefix = 'nemo-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The in-process stats (per path, per session) of a `nemo serve` started by `startSuite`. */
export async function serverStats(url: string): Promise<{
  requests: Record<string, number>;
  uploadsStored: number;
  runSse: Record<string, number>;
  renders: string[];
}> {
  const server = suites.get(url);
  if (!server) throw new Error(`no server of startSuite at ${url}`);
  return server.stats();
}

const suites = new Map<string, RunningServer>();

export const totalRequests = (s: { requests: Record<string, number> }): number =>
  Object.entries(s.requests)
    .filter(([p]) => !p.startsWith('/_nemo'))
    .reduce((n, [, c]) => n + c, 0);

/** Fails when a token shows up in anything the CLI printed. */
export function expectNoToken(r: RunResult): void {
  if (/nmv_usr_/.test(r.stdout) || /nmv_usr_/.test(r.stderr))
    throw new Error(`a token leaked:\n${r.stdout}\n${r.stderr}`);
}

/** One `nemo serve` per test file, a temp dir and a 2 s clip in it; the built CLI ready. */
export async function startSuite(
  opts: ServerOptions,
): Promise<{ server: RunningServer; dir: string; clip: string }> {
  await ensureBuilt();
  const server = await startServer({ port: 0, ...opts });
  suites.set(server.url, server);
  const dir = tempDir();
  return { server, dir, clip: await clipIn(dir) };
}
