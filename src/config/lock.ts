import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const STALE_MS = 10_000;
const WAIT_MS = 15_000;

function tryAcquire(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(lockPath).mtimeMs > STALE_MS) rmSync(lockPath, { force: true });
    } catch {
      // the holder released it meanwhile
    }
    return false;
  }
}

/**
 * Runs `fn` while holding `<file>.lock` (created with O_EXCL), so that concurrent nemo processes
 * sharing a profile do their read-modify-write one at a time. A lock older than 10 s is stale.
 */
export async function withLock<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  const lockPath = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  let delay = 5;
  while (!tryAcquire(lockPath)) {
    if (Date.now() > deadline)
      throw new Error(`could not lock ${file}: another nemo process holds ${lockPath}`);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
