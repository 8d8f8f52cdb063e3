import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfFile, objectAt } from './conf-file.js';
import { withLock } from './lock.js';
import type { ProfileSettings, SettingKey } from './settings.js';

/** One cloud session nemo created or used (the NemoVideo task + session ids). */
export interface SessionRecord {
  sessionId: string;
  taskId?: string;
  createdAt: string;
  /** The last render submitted from this session (for `nemo export --resume`). */
  lastRenderId?: string;
  /** Where that render is meant to be downloaded. */
  lastOutput?: string;
  /** Files uploaded into it (paths or URLs), in order. */
  files?: string[];
}

interface ProfileData {
  settings?: ProfileSettings;
  clientId?: string;
  sessions?: SessionRecord[];
  currentSession?: string;
}

type Profiles = Record<string, ProfileData>;

/**
 * The profile store: `config.json` in the config directory, `{profiles: {<name>: {settings,
 * clientId, sessions, currentSession}}}`. Every change is a locked read-modify-write, so
 * concurrent nemo processes sharing a profile never lose each other's updates.
 */
export class ConfigStore {
  readonly dir: string;
  readonly profile: string;
  private readonly conf: ConfFile;

  constructor(dir: string, profile: string) {
    this.dir = dir;
    this.profile = profile;
    this.conf = new ConfFile(dir, 'config');
  }

  get file(): string {
    return this.conf.path;
  }

  private profiles(): Profiles {
    return objectAt<Profiles>(this.conf, 'profiles');
  }

  private data(): ProfileData {
    return this.profiles()[this.profile] ?? {};
  }

  private async update<T>(fn: (p: ProfileData) => T): Promise<T> {
    return withLock(this.file, async () => {
      const all = this.profiles();
      const p = all[this.profile] ?? {};
      const result = fn(p);
      all[this.profile] = p;
      await this.conf.set('profiles', all);
      return result;
    });
  }

  settings(): ProfileSettings {
    return { ...(this.data().settings ?? {}) };
  }

  async setSetting(key: SettingKey, value: ProfileSettings[SettingKey] | undefined): Promise<void> {
    await this.update((p) => {
      const s: Record<string, unknown> = { ...(p.settings ?? {}) };
      if (value === undefined) delete s[key];
      else s[key] = value;
      p.settings = s as ProfileSettings;
    });
  }

  /** The profile's X-Client-Id, created and saved on first use (before any token request). */
  async clientId(): Promise<string> {
    const existing = this.data().clientId;
    if (existing) return existing;
    return this.update((p) => {
      p.clientId ??= randomUUID();
      return p.clientId;
    });
  }

  sessions(): SessionRecord[] {
    return [...(this.data().sessions ?? [])];
  }

  findSession(sessionId: string): SessionRecord | undefined {
    return this.sessions().find((s) => s.sessionId === sessionId);
  }

  currentSession(): SessionRecord | undefined {
    const id = this.data().currentSession;
    return id ? this.findSession(id) : undefined;
  }

  /** Records a session (or merges into the record with the same id) and makes it current. */
  async saveSession(
    rec: Partial<SessionRecord> & { sessionId: string },
    makeCurrent = true,
  ): Promise<SessionRecord> {
    return this.update((p) => {
      const list = p.sessions ?? [];
      const i = list.findIndex((s) => s.sessionId === rec.sessionId);
      const merged: SessionRecord = {
        createdAt: new Date().toISOString(),
        ...(i >= 0 ? list[i] : {}),
        ...rec,
      };
      if (i >= 0) list[i] = merged;
      else list.push(merged);
      p.sessions = list;
      if (makeCurrent) p.currentSession = rec.sessionId;
      return merged;
    });
  }

  async useSession(sessionId: string): Promise<SessionRecord | undefined> {
    return this.update((p) => {
      const rec = (p.sessions ?? []).find((s) => s.sessionId === sessionId);
      if (rec) p.currentSession = sessionId;
      return rec;
    });
  }

  /**
   * Where the local engine keeps the draft of one run, by its key (the output's absolute path, or a
   * chat's own key): one file per output, so two runs at once never show each other's draft.
   */
  localDraftPath(key: string): string {
    const name = createHash('sha256').update(key).digest('hex').slice(0, 16);
    return join(this.localDraftDir(), `${name}.json`);
  }

  /** The newest local draft of this profile (`nemo state --local` without --output), if any. */
  latestLocalDraft(): string | undefined {
    const dir = this.localDraftDir();
    let best: { file: string; mtime: number } | undefined;
    for (const entry of readdirSync(dir)) {
      if (!entry.endsWith('.json')) continue;
      const file = join(dir, entry);
      const mtime = statSync(file).mtimeMs;
      if (!best || mtime > best.mtime) best = { file, mtime };
    }
    return best?.file;
  }

  private localDraftDir(): string {
    const dir = join(this.dir, 'local', encodeURIComponent(this.profile), 'drafts');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
}
