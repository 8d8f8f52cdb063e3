import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { ConfigError } from './errors.js';

/**
 * Creates the config directory 0700. A directory that already exists is left as it is (it may be
 * one the user chose with NEMO_CONFIG_DIR); the files in it are 0600 and the token file is checked.
 */
export function ensurePrivateDir(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; set it exactly on what nemo created
  if (created !== undefined && process.platform !== 'win32') chmodSync(dir, 0o700);
}

/**
 * Opens one JSON file of nemo's through conf (atomic writes, mode 0600). A file that does not parse
 * is reported with its path and the fix, and is never silently wiped.
 */
export function openConfFile(dir: string, name: string): Conf<Record<string, unknown>> {
  ensurePrivateDir(dir);
  const file = join(dir, `${name}.json`);
  try {
    return new Conf<Record<string, unknown>>({
      projectName: 'nemo',
      projectSuffix: '',
      cwd: dir,
      configName: name,
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'SyntaxError') {
      throw new ConfigError(
        `${file} is corrupted (not valid JSON: ${e.message})`,
        `fix it by hand, or move it aside and start fresh: mv '${file}' '${file}.bak'`,
        { file },
      );
    }
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw new ConfigError(
        `cannot read ${file} (${e.code})`,
        `check its owner and mode: chmod 600 '${file}'`,
        { file },
      );
    }
    throw err;
  }
}

/** Reads a top-level object key, failing clearly when the file holds something else there. */
export function objectAt<T extends object>(conf: Conf<Record<string, unknown>>, key: string): T {
  const value = conf.get(key);
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      `${conf.path} is corrupted ("${key}" is not an object)`,
      `fix it by hand, or move it aside: mv '${conf.path}' '${conf.path}.bak'`,
      { file: conf.path },
    );
  }
  return value as T;
}
