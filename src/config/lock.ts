import { randomUUID } from 'node:crypto';
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock whose holder has not refreshed it for this long is stale (the holder died or hung). */
export const STALE_MS = 10_000;
/** The holder touches the lock's mtime this often while it holds it. */
export const REFRESH_MS = 2_000;
const WAIT_MS = 15_000;

/** What a lock file holds: the holder's pid and a token unique to this acquisition. */
function ownerLine(): string {
  return `${process.pid} ${randomUUID()}\n`;
}

function readOwner(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Removes `lockPath` only if it still holds `owner`: the lock is first renamed to a name of our own
 * (atomic), checked, and linked back (link fails rather than overwrite) when it turned out to be
 * someone else's. So neither a release nor a stale-lock cleanup removes a lock another process
 * has just taken.
 */
function removeIfOwner(lockPath: string, owner: string): void {
  const aside = `${lockPath}.${randomUUID()}.rm`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // gone already
  }
  if (readOwner(aside) !== owner) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // a third process took the lock meanwhile; it is theirs now
    }
  }
  rmSync(aside, { force: true });
}

function tryAcquire(lockPath: string, staleMs: number): string | undefined {
  const owner = ownerLine();
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    try {
      writeSync(fd, owner);
    } finally {
      closeSync(fd);
    }
    return owner;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const held = readOwner(lockPath);
    try {
      // held === undefined: released meanwhile; '' (created, never written) goes stale like any other
      if (held !== undefined && Date.now() - statSync(lockPath).mtimeMs > staleMs)
        removeIfOwner(lockPath, held);
    } catch {
      // the holder released it meanwhile
    }
    return undefined;
  }
}

/**
 * Runs `fn` while holding `<file>.lock` (created with O_EXCL), so that concurrent nemo processes
 * sharing a profile do their read-modify-write one at a time. The holder touches the lock every
 * REFRESH_MS while `fn` runs (a network call may take a minute), so only a lock nobody has refreshed
 * for STALE_MS is taken over; release removes the lock only if it is still this holder's.
 * `staleMs` / `refreshMs` override those two (tests of the takeover, which would otherwise wait 10 s).
 */
export async function withLock<T>(
  file: string,
  fn: () => T | Promise<T>,
  opts: { waitMs?: number; staleMs?: number; refreshMs?: number } = {},
): Promise<T> {
  const lockPath = `${file}.lock`;
  const deadline = Date.now() + (opts.waitMs ?? WAIT_MS);
  let delay = 5;
  let owner: string | undefined;
  for (;;) {
    owner = tryAcquire(lockPath, opts.staleMs ?? STALE_MS);
    if (owner !== undefined) break;
    if (Date.now() > deadline)
      throw new Error(`could not lock ${file}: another nemo process holds ${lockPath}`);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  const mine = owner;
  const refresh = setInterval(() => {
    try {
      if (readOwner(lockPath) === mine) {
        const now = new Date();
        utimesSync(lockPath, now, now);
      }
    } catch {
      // removed under us; release will find it gone
    }
  }, opts.refreshMs ?? REFRESH_MS);
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    removeIfOwner(lockPath, mine);
  }
}
