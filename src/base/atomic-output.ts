import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { NemoBaseError } from './errors.js';

/**
 * Outputs appear whole and never replace a file that appeared meanwhile. A writer creates a temp file
 * next to the final name, unique to its process (`tempPathFor`, opened with O_EXCL by
 * `createExclusive`), fills it, then `publish`es it: fsync, then `link(temp, final)`, which fails with
 * EEXIST when the final name exists (rename-noreplace semantics), then the temp name is unlinked. With
 * `replace` (the CLI's --force) it is an atomic `rename` over the final name instead.
 */

/** The final name exists and was not to be replaced (kind usage, exit 2; the CLI words the fix). */
export class OutputExistsError extends NemoBaseError {
  readonly path: string;
  constructor(path: string, message = `Output file already exists: ${path}`) {
    super(message, { kind: 'usage', code: 'output_exists' });
    this.path = path;
  }
}

/** A local file could not be written (disk full, permission, read-only file system): exit 1, not retried. */
export class LocalIoError extends NemoBaseError {
  readonly path: string;
  /** The system error code (ENOSPC, EACCES, …). */
  readonly errno?: string;
  constructor(
    message: string,
    path: string,
    options: { errno?: string; cause?: unknown; hint?: string } = {},
  ) {
    super(message, { kind: 'local_io', code: 'local_io', cause: options.cause, hint: options.hint });
    this.path = path;
    this.errno = options.errno;
  }
}

const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for this file system or the file-size limit (ulimit -f)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'the directory does not exist',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** True for an error of the local file system (it has a system error code and is not a network error). */
export function isLocalFsError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | undefined;
  return (
    !!e && typeof e.code === 'string' && typeof e.syscall === 'string' && !/^(E?CONN|EAI_|UND_)/.test(e.code)
  );
}

/** A LocalIoError naming the path and the cause: "Cannot write /x/out.mp4: no space left on the device (ENOSPC)". */
export function localIoError(err: unknown, path: string, doing = 'write'): LocalIoError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const cause = (errno && CAUSES[errno]) ?? (err instanceof Error ? err.message : String(err));
  const hint =
    errno === 'ENOSPC' || errno === 'EDQUOT'
      ? `Free some space (or pick another place) for ${dirname(path)}, then try again.`
      : errno === 'EFBIG'
        ? 'Raise the file-size limit (ulimit -f), or pick a file system that takes larger files.'
        : `Check ${dirname(path)} and its permissions, or pick another place.`;
  return new LocalIoError(`Cannot ${doing} ${path}: ${cause}${errno ? ` (${errno})` : ''}`, path, {
    errno,
    cause: err,
    hint,
  });
}

/**
 * `.<name>.<tag>-<pid>-<random><suffix>` next to `finalPath` (hidden, unique to this process and call).
 * `suffix` defaults to the final name's extension so tools that pick a format by it (ffmpeg) still can.
 */
export function tempPathFor(finalPath: string, tag: string, suffix = extname(finalPath)): string {
  const name = basename(finalPath, extname(finalPath));
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(finalPath), `.${name}.${tag}-${unique}${suffix}`);
}

/** Creates `path` exclusively (O_CREAT|O_EXCL: fails if it exists), open for reading and writing. */
export function createExclusive(path: string, mode = 0o644): number {
  try {
    return openSync(path, 'wx+', mode);
  } catch (err) {
    throw localIoError(err, path, 'create');
  }
}

/** fsync an open descriptor (durability before the name appears); local errors become LocalIoError. */
export function syncFd(fd: number, path: string): void {
  try {
    fsyncSync(fd);
  } catch (err) {
    // some file systems (pipes, certain FUSE mounts) do not support fsync: not a write error
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return;
    throw localIoError(err, path);
  }
}

/** Hard links are not supported here (FAT, some network and FUSE file systems). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Makes the finished `temp` appear as `finalPath`: fsync (unless `synced`), then, without `replace`,
 * `link` + `unlink(temp)` so an existing `finalPath` (even one that appeared while the temp was
 * written) is never replaced (OutputExistsError; the temp is removed); with `replace`, an atomic
 * rename over it. Where hard links are not supported, the final name is reserved with O_EXCL and the
 * temp renamed onto the reservation. The directory entry is fsynced where the system allows it.
 */
export function publish(
  temp: string,
  finalPath: string,
  opts: { replace?: boolean; synced?: boolean } = {},
): void {
  try {
    if (!opts.synced) {
      const fd = openFd(temp);
      try {
        syncFd(fd, temp);
      } finally {
        closeSync(fd);
      }
    }
    if (opts.replace) {
      renameOrFail(temp, finalPath);
    } else {
      try {
        linkSync(temp, finalPath);
        unlinkSync(temp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST') throw new OutputExistsError(finalPath, existedMessage(finalPath));
        if (!NO_LINKS.has(code)) throw localIoError(err, finalPath);
        // no hard links: reserve the name exclusively (EEXIST as above), then rename onto the reservation
        let fd: number;
        try {
          fd = openSync(finalPath, 'wx', 0o644);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST')
            throw new OutputExistsError(finalPath, existedMessage(finalPath));
          throw localIoError(e, finalPath);
        }
        closeSync(fd);
        renameOrFail(temp, finalPath);
      }
    }
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDir(dirname(finalPath));
}

function existedMessage(path: string): string {
  return `Output file already exists: ${path} (it appeared while nemo was writing; nothing was replaced)`;
}

function openFd(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw localIoError(err, path, 'open');
  }
}

function renameOrFail(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    throw localIoError(err, to);
  }
}

/** Best-effort fsync of a directory (so the new name survives a crash); not every system allows it. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // EISDIR/EINVAL/EPERM on some systems: the data itself was synced
  }
}

/** Removes a file, ignoring every error (cleanup must never hide the error being reported). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or cannot be removed: the original error matters more
  }
}

/**
 * Writes a small file (nemo's JSON files) whole and atomically: a unique temp next to it, created
 * exclusively with `mode`, fsynced, then renamed over `path`. A reader sees the old content or the new,
 * never a part; a crash leaves at most a hidden temp. Callers serialise writers (config/lock.ts).
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const temp = tempPathFor(path, 'write', '.tmp');
  const fd = createExclusive(temp, mode);
  try {
    try {
      writeSync(fd, data);
    } catch (err) {
      throw localIoError(err, path);
    }
    syncFd(fd, temp);
  } catch (err) {
    closeSync(fd);
    removeQuietly(temp);
    throw err;
  }
  closeSync(fd);
  publish(temp, path, { replace: true, synced: true });
}
