import { lstatSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CredentialStore, StoredCredentials } from '../api/auth.js';
import { rememberSecret } from '../base/redact.js';
import { ConfFile, objectAt } from './conf-file.js';
import { ConfigError } from './errors.js';
import { withLock } from './lock.js';
import type { ConfigStore } from './store.js';

/**
 * Refuses a credentials file that other users could read or change, or one in a directory they can
 * write to (they could swap the file): exit 4, with the chmod fix.
 */
export function checkPrivateFile(file: string): void {
  checkNotSymlink(file);
  // Windows protects the profile directory with ACLs; its mode bits always read 0o666.
  if (process.platform === 'win32') return;
  const dir = dirname(file);
  const dirMode = modeOf(dir);
  if (dirMode !== undefined && (dirMode & 0o022) !== 0) {
    throw new ConfigError(
      `${dir} can be written by other users (mode ${(dirMode & 0o777).toString(8)}); refusing to use the token in it`,
      `chmod 700 '${dir}'`,
      { kind: 'auth', file },
    );
  }
  const mode = modeOf(file);
  if (mode !== undefined && (mode & 0o077) !== 0) {
    throw new ConfigError(
      `${file} is readable or writable by other users (mode ${(mode & 0o777).toString(8)}); refusing to use the token in it`,
      `chmod 600 '${file}'`,
      { kind: 'auth', file },
    );
  }
}

/**
 * Refuses a credentials file that is a symlink (exit 4): whoever made the link chooses what nemo
 * reads as its token file, and where it writes the token. Checked with lstat before any read.
 */
export function checkNotSymlink(file: string): void {
  let link = false;
  try {
    link = lstatSync(file).isSymbolicLink();
  } catch {
    return;
  }
  if (link) {
    throw new ConfigError(
      `${file} is a symbolic link; refusing to read or write a token through it`,
      `replace it with a regular file: rm '${file}' && nemo auth login`,
      { kind: 'auth', file },
    );
  }
}

/** The mode bits of `path`, or undefined when it is not there yet. */
function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

const TOKEN_WAIT_MS = 5 * 60_000;

/**
 * The token store of one profile: `credentials.json` (0600, in the 0700 config directory),
 * `{<profile>: StoredCredentials}`. Implements the api's `CredentialStore` (`load/save/clientId`).
 * `NEMO_TOKEN` is handled by the client and wins over what is stored here.
 */
export class ProfileCredentials implements CredentialStore {
  private readonly conf: ConfFile;

  constructor(
    private readonly store: ConfigStore,
    private readonly profile: string = store.profile,
  ) {
    checkNotSymlink(join(store.dir, 'credentials.json'));
    this.conf = new ConfFile(store.dir, 'credentials');
  }

  get file(): string {
    return this.conf.path;
  }

  async load(): Promise<StoredCredentials | undefined> {
    checkPrivateFile(this.file);
    const entry = objectAt<Record<string, StoredCredentials>>(this.conf, 'profiles')[this.profile];
    if (!entry || typeof entry.token !== 'string' || entry.token === '') return undefined;
    rememberSecret(entry.token);
    return { ...entry };
  }

  async save(c: StoredCredentials): Promise<void> {
    await this.write(c);
  }

  async clear(): Promise<boolean> {
    return this.write(undefined);
  }

  clientId(): Promise<string> {
    return this.store.clientId();
  }

  /**
   * Holds `credentials.json.token.lock` (not the write lock, which `save` takes) while `fn` runs: a
   * token request that may take a minute or more. Others wait for it (up to 5 min) rather than give up
   * after the usual 15 s; the lock is refreshed while held, so it never looks stale meanwhile.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(`${this.file}.token`, fn, { waitMs: TOKEN_WAIT_MS });
  }

  private write(c: StoredCredentials | undefined): Promise<boolean> {
    return withLock(this.file, async () => {
      checkPrivateFile(this.file);
      const all = objectAt<Record<string, StoredCredentials>>(this.conf, 'profiles');
      const had = this.profile in all;
      if (c) all[this.profile] = { ...c };
      else delete all[this.profile];
      await this.conf.set('profiles', all);
      return had;
    });
  }
}

/** Which token a command would use: `NEMO_TOKEN`, else the profile's. */
export function tokenSource(env: NodeJS.ProcessEnv = process.env): 'env' | 'profile' {
  return env.NEMO_TOKEN ? 'env' : 'profile';
}
