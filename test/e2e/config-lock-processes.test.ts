import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, tempDir } from './helpers.js';

/**
 * The profile lock across real processes (src/config/lock.ts, as built): a holder that keeps the lock
 * past the stale time (Auth.exclusive holds it across a network call of up to a minute) refreshes it,
 * so a second process waits instead of taking it over; and a holder whose lock was taken over after
 * all (it froze) does not remove the new holder's lock when it finishes. The holders use a stale time of
 * STALE_MS and a refresh every REFRESH_MS (withLock's options) instead of the 10 s / 2 s defaults, in
 * the same proportion, so the takeover is seen in seconds.
 */

const STALE_MS = 1500;
const REFRESH_MS = 250;

const HOLDER = `
import { appendFileSync } from 'node:fs';
const [lockUrl, file, log, name, holdMs, how, staleMs, refreshMs] = process.argv.slice(1);
const { withLock } = await import(lockUrl);
await withLock(file, async () => {
  appendFileSync(log, name + ' start\\n');
  if (how === 'freeze') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs));
  else await new Promise((r) => setTimeout(r, Number(holdMs)));
  appendFileSync(log, name + ' end\\n');
}, { waitMs: 60000, staleMs: Number(staleMs), refreshMs: Number(refreshMs) });
`;

let lockUrl: string;
beforeAll(async () => {
  await ensureBuilt();
  lockUrl = pathToFileURL(join(ROOT, 'dist', 'config', 'lock.js')).href;
}, 120_000);

function holder(file: string, log: string, name: string, holdMs: number, how: 'sleep' | 'freeze' = 'sleep') {
  const child = spawn(
    process.execPath,
    [
      ...['--input-type=module', '-e', HOLDER, lockUrl, file, log, name, String(holdMs), how],
      ...[String(STALE_MS), String(REFRESH_MS)],
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise<void>((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${stderr}`)),
    ),
  );
}

/** Resolves once `log` has the line `line` (polling the real file). */
async function until(log: string, line: string): Promise<void> {
  while (!(existsSync(log) && readFileSync(log, 'utf8').split('\n').includes(line)))
    await new Promise((r) => setTimeout(r, 20));
}

const lines = (log: string) => readFileSync(log, 'utf8').trim().split('\n');

describe('the config lock across processes', () => {
  it('a holder past the stale time keeps its lock: the second process waits for it', async () => {
    const dir = tempDir();
    const file = join(dir, 'credentials.json.token');
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const a = holder(file, log, 'A', 2 * STALE_MS); // refreshing all along
    await until(log, 'A start');
    const b = holder(file, log, 'B', 0);
    await Promise.all([a, b]);
    expect(lines(log)).toEqual(['A start', 'A end', 'B start', 'B end']);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  it("a holder whose stale lock was taken over does not remove the new holder's lock on release", async () => {
    const dir = tempDir();
    const file = join(dir, 'config.json');
    const log = join(dir, 'log');
    writeFileSync(log, '');
    // A freezes (no refresh can run) past the stale time: B takes the lock over, as it should
    // (frozen long enough for B to start and find the lock stale, however slowly B's process starts)
    const a = holder(file, log, 'A', STALE_MS + 2500, 'freeze');
    await until(log, 'A start');
    const b = holder(file, log, 'B', STALE_MS + 2500); // still holding when A wakes
    await until(log, 'B start');
    await a; // A wakes up and releases: B's lock must survive
    const c = holder(file, log, 'C', 0);
    await Promise.all([b, c]);
    const order = lines(log);
    expect(order.slice(0, 3)).toEqual(['A start', 'B start', 'A end']);
    // C got the lock only after B let go of it
    expect(order.indexOf('C start')).toBeGreaterThan(order.indexOf('B end'));
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);
});
