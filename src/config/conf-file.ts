import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic-output.js';
import { NemoBaseError } from '../base/errors.js';
import { ConfigError } from './errors.js';

/**
 * Creates the config directory 0700. A directory that already exists is left as it is (it may be
 * one the user chose with NEMO_CONFIG_DIR); the files in it are 0600 and the token file is checked.
 */
export function ensurePrivateDir(dir: string): void {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ConfigError(
        `the config directory ${dir} is not a directory (${code}: a file is in its place)`,
        `point NEMO_CONFIG_DIR at a directory, or move the file aside: mv '${dir}' '${dir}.bak'`,
        { file: dir },
      );
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new ConfigError(
        `cannot create the config directory ${dir} (${code})`,
        'set NEMO_CONFIG_DIR to a directory you can write to',
        { kind: 'local_io', file: dir },
      );
    }
    throw err;
  }
  // mkdir's mode is filtered by the umask; set it exactly on what nemo created
  if (created !== undefined && process.platform !== 'win32') chmodSync(dir, 0o700);
}

/**
 * One JSON file of nemo's, mode 0600. Reads parse the file afresh each time, so a value another nemo
 * process wrote is seen; a write reads the file, sets the key and writes it whole and atomically
 * (src/base/atomic-output.ts: unique temp, fsync, rename). Callers hold the file's lock around a write
 * (ConfigStore.update, ProfileCredentials), so concurrent processes never lose each other's changes. A file
 * that does not parse is reported with its path and the fix, and is never silently wiped.
 *
 * This replaced the `conf` package (README, "Configuration"): nemo used conf for this atomic write only,
 * while conf brought ajv, semver and atomically (~170 modules) and atomically's exit hook re-raised
 * signals, which fought nemo's own Ctrl-C handling.
 */
export class ConfFile {
  readonly path: string;

  constructor(dir: string, name: string) {
    ensurePrivateDir(dir);
    this.path = join(dir, `${name}.json`);
    this.read();
  }

  get(key: string): unknown {
    return this.read()[key];
  }

  async set(key: string, value: unknown): Promise<void> {
    const next = { ...this.read(), [key]: value };
    try {
      writeFileAtomic(this.path, `${JSON.stringify(next, null, '\t')}\n`, 0o600);
    } catch (err) {
      // a LocalIoError already names the file and the cause (disk full, read-only, permission)
      if (err instanceof NemoBaseError) throw err;
      throw readError(err, this.path);
    }
  }

  private read(): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw readError(err, this.path);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text: never echo a file's content (it may be a token)
      throw corrupted(this.path, 'not valid JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw corrupted(this.path, 'not a JSON object');
    return value as Record<string, unknown>;
  }
}

function corrupted(file: string, why: string): ConfigError {
  return new ConfigError(
    `${file} is corrupted (${why})`,
    `fix it by hand, or move it aside and start fresh: mv '${file}' '${file}.bak'`,
    { file },
  );
}

/** A system error on one of nemo's files, as a ConfigError that names the file and the fix. */
function readError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') {
    return new ConfigError(
      `${file} is a directory, not nemo's JSON file`,
      `move it aside (nemo creates the file afresh): mv '${file}' '${file}.bak'`,
      { file },
    );
  }
  if (code === 'ENOTDIR' || code === 'ELOOP') {
    return new ConfigError(
      `cannot read ${file} (${code}: a path component is not a directory, or a symlink loop)`,
      `move it aside: mv '${file}' '${file}.bak'`,
      { file },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ConfigError(`cannot read ${file} (${code})`, `check its owner and mode: chmod 600 '${file}'`, {
      file,
    });
  }
  if (typeof code === 'string') {
    return new ConfigError(
      `cannot use ${file} (${code})`,
      `check the file and its directory: ls -la '${file}'`,
      {
        kind: 'local_io',
        file,
      },
    );
  }
  return err;
}

/** Reads a top-level object key, failing clearly when the file holds something else there. */
export function objectAt<T extends object>(file: ConfFile, key: string): T {
  const value = file.get(key);
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      `${file.path} is corrupted ("${key}" is not an object)`,
      `fix it by hand, or move it aside: mv '${file.path}' '${file.path}.bak'`,
      { file: file.path },
    );
  }
  return value as T;
}
