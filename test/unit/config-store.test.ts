import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConfigStore,
  checkSetting,
  configDir,
  ProfileCredentials,
  profileName,
  withLock,
} from '../../src/config/index.js';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nemo-cfg-'));
  dir = join(root, 'nemo');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;
// Windows keeps the profile private with ACLs; mode bits are POSIX only.
const posix = process.platform !== 'win32';

describe('where config lives', () => {
  it('NEMO_CONFIG_DIR, then XDG_CONFIG_HOME/nemo, then ~/.config/nemo, %APPDATA%\\nemo on Windows', () => {
    expect(configDir({ NEMO_CONFIG_DIR: '/x', XDG_CONFIG_HOME: '/y' })).toBe('/x');
    expect(configDir({ XDG_CONFIG_HOME: '/y' }, 'linux')).toBe(join('/y', 'nemo'));
    expect(configDir({ APPDATA: 'C:\\Users\\a\\AppData' }, 'win32')).toContain('nemo');
    expect(configDir({}, 'linux')).toMatch(/\.config[\\/]nemo$/);
    expect(profileName(undefined, { NEMO_PROFILE: 'work' })).toBe('work');
    expect(profileName('ci', { NEMO_PROFILE: 'work' })).toBe('ci');
    expect(profileName(undefined, {})).toBe('default');
  });
});

describe('ConfigStore', () => {
  it('creates the directory 0700 and files 0600', async () => {
    const store = new ConfigStore(dir, 'default');
    await store.setSetting('quality', 'low');
    const creds = new ProfileCredentials(store);
    await creds.save({ token: 'nmv_usr_abcdefgh12345678', anonymous: true, userId: 'anon_1' });
    if (posix) {
      expect(mode(dir)).toBe(0o700);
      expect(mode(store.file)).toBe(0o600);
      expect(mode(creds.file)).toBe(0o600);
    }
    expect(await creds.load()).toMatchObject({ token: 'nmv_usr_abcdefgh12345678', userId: 'anon_1' });
  });

  it('keeps profiles apart and persists the client id before use', async () => {
    const a = new ConfigStore(dir, 'a');
    const b = new ConfigStore(dir, 'b');
    await a.setSetting('engine', 'local');
    const id = await a.clientId();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await new ConfigStore(dir, 'a').clientId()).toBe(id);
    expect(await b.clientId()).not.toBe(id);
    expect(b.settings()).toEqual({});
    expect(new ConfigStore(dir, 'a').settings()).toEqual({ engine: 'local' });
    expect(JSON.parse(readFileSync(a.file, 'utf8')).profiles.a.clientId).toBe(id);
  });

  it('records sessions, the current one and the last render id', async () => {
    const s = new ConfigStore(dir, 'default');
    await s.saveSession({ sessionId: 's1', taskId: 't1', files: ['a.mp4'] });
    await s.saveSession({ sessionId: 's2', taskId: 't2' });
    expect(s.currentSession()?.sessionId).toBe('s2');
    await s.saveSession({ sessionId: 's1', lastRenderId: 'render_1' }, false);
    expect(s.findSession('s1')).toMatchObject({ taskId: 't1', files: ['a.mp4'], lastRenderId: 'render_1' });
    expect(s.currentSession()?.sessionId).toBe('s2');
    expect(await s.useSession('s1')).toMatchObject({ sessionId: 's1' });
    expect(await s.useSession('nope')).toBeUndefined();
    expect(s.currentSession()?.sessionId).toBe('s1');
  });

  it('a corrupted config file is a clear error naming the file, and is never wiped', async () => {
    await new ConfigStore(dir, 'default').setSetting('quality', 'low');
    const file = join(dir, 'config.json');
    writeFileSync(file, '{"profiles": {"default": ', { mode: 0o600 });
    let err: unknown;
    try {
      new ConfigStore(dir, 'default');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(file);
    expect((err as ConfigError).fix).toContain(`mv '${file}'`);
    expect((err as ConfigError).kind).toBe('usage');
    expect(readFileSync(file, 'utf8')).toBe('{"profiles": {"default": ');

    writeFileSync(file, '{"profiles": 42}');
    expect(() => new ConfigStore(dir, 'default').settings()).toThrow(/corrupted/);
  });

  it('refuses a credentials file other users can read (exit 4, chmod hint)', async () => {
    const creds = new ProfileCredentials(new ConfigStore(dir, 'default'));
    await creds.save({ token: 'nmv_usr_abcdefgh12345678', anonymous: false });
    chmodSync(creds.file, 0o644);
    if (!posix) {
      expect((await creds.load())?.token).toBe('nmv_usr_abcdefgh12345678');
      return;
    }
    const err = await creds.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).kind).toBe('auth');
    expect((err as ConfigError).fix).toBe(`chmod 600 '${creds.file}'`);
    expect(String((err as Error).message)).not.toContain('nmv_usr_');
  });

  it('refuses a token in a directory other users can write to (exit 4, chmod 700 hint); checked on read', async () => {
    const store = new ConfigStore(dir, 'default');
    const creds = new ProfileCredentials(store);
    await creds.save({ token: 'nmv_usr_abcdefgh12345678', anonymous: false });
    if (posix) expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    chmodSync(store.dir, 0o777);
    if (!posix) {
      expect((await creds.load())?.token).toBe('nmv_usr_abcdefgh12345678');
      return;
    }
    const err = await new ProfileCredentials(store).load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).kind).toBe('auth');
    expect((err as ConfigError).fix).toBe(`chmod 700 '${store.dir}'`);
    chmodSync(store.dir, 0o700);
    expect((await new ProfileCredentials(store).load())?.token).toBe('nmv_usr_abcdefgh12345678');
  });

  it('logout removes only that profile', async () => {
    const store = new ConfigStore(dir, 'a');
    await new ProfileCredentials(store, 'a').save({ token: 'nmv_usr_aaaaaaaaaaaa', anonymous: true });
    await new ProfileCredentials(store, 'b').save({ token: 'nmv_usr_bbbbbbbbbbbb', anonymous: true });
    expect(await new ProfileCredentials(store, 'a').clear()).toBe(true);
    expect(await new ProfileCredentials(store, 'a').load()).toBeUndefined();
    expect((await new ProfileCredentials(store, 'b').load())?.token).toBe('nmv_usr_bbbbbbbbbbbb');
  });

  it('validates settings', () => {
    expect(checkSetting('api-url', 'http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(() => checkSetting('api-url', 'ftp://x')).toThrow(/http or https/);
    expect(() => checkSetting('api-url', 'not a url')).toThrow(/not a valid URL/);
    expect(() => checkSetting('quality', 'ultra')).toThrow(/low, medium, high/);
    expect(() => checkSetting('engine', 'gpu')).toThrow(/cloud, local/);
    expect(checkSetting('language', 'zh')).toBe('zh');
    expect(() => checkSetting('colour', 'x')).toThrow(/unknown setting/);
  });
});

describe('withLock', () => {
  it('serialises read-modify-write sections', async () => {
    const file = join(root, 'counter.json');
    writeFileSync(file, '0');
    const bump = () =>
      withLock(file, async () => {
        const n = Number(readFileSync(file, 'utf8'));
        await new Promise((r) => setTimeout(r, 2));
        writeFileSync(file, String(n + 1));
      });
    await Promise.all(Array.from({ length: 20 }, bump));
    expect(readFileSync(file, 'utf8')).toBe('20');
  });
});
