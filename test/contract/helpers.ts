import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CredentialStore, StoredCredentials } from '../../src/api/auth.js';
import { NemoClient, type NemoClientOptions } from '../../src/api/client.js';
import type { ChatEvent } from '../../src/api/sse-events.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';

const run = promisify(execFile);

/** A credential store in memory that records what the client saved. */
export class MemoryStore implements CredentialStore {
  saved: StoredCredentials[] = [];
  constructor(
    private current?: StoredCredentials,
    private readonly id = `client-${Math.random().toString(36).slice(2)}`,
  ) {}
  async load() {
    return this.current;
  }
  async save(c: StoredCredentials) {
    this.saved.push(c);
    this.current = c;
  }
  async clientId() {
    return this.id;
  }
}

/** A temp dir with a small real clip (320×180, 2 s, H.264/AAC) made once per test file. */
export function mediaFixture(): { dir: () => string; clip: () => string } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nemo-contract-'));
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25:duration=2',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      path.join(dir, 'clip.mp4'),
    ]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return { dir: () => dir, clip: () => path.join(dir, 'clip.mp4') };
}

/** One `nemo serve` per test (options per call) plus clients on it; all closed after each test. */
export function serveFixture(): {
  start: (opts?: ServerOptions) => Promise<RunningServer>;
  client: (server: RunningServer, opts?: NemoClientOptions) => NemoClient;
} {
  const servers: RunningServer[] = [];
  const clients: NemoClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    start: async (opts = {}) => {
      const s = await startServer({ heartbeatMs: 50, ...opts });
      servers.push(s);
      return s;
    },
    client: (server, opts = {}) => {
      const c = new NemoClient({
        baseURL: server.url,
        credentials: new MemoryStore(),
        platform: 'test',
        ...opts,
      });
      clients.push(c);
      return c;
    },
  };
}

export async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

export interface Stats {
  requests: Record<string, number>;
  uploadsStored: number;
  runSse: Record<string, number>;
  renders: string[];
  lastRenderCompletedAt: number | null;
}

/** The server's in-process stats (per path, per session). */
export async function stats(server: RunningServer): Promise<Stats> {
  return server.stats();
}

export async function ffprobeDuration(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(stdout.trim());
}

/** A client with a session holding the uploaded clip. */
export async function projectWithClip(
  client: NemoClient,
  clip: string,
): Promise<{ sessionId: string; taskId: string }> {
  const session = await client.sessions.create({ taskName: 'contract', language: 'en' });
  await client.uploads.files(session.sessionId, [clip]);
  return session;
}
