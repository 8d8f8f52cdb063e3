import type { MediaInfo } from '../engine/types.js';
import type { Draft } from '../timeline/index.js';
import type { SseWrite } from './sse.js';

/** One file as the upload response and `state.video_infos` show it (protocol §4.5). */
export interface VideoInfo {
  filename: string;
  file_type: 'video' | 'image' | 'audio';
  cdn_url: string;
  duration: number;
  width: number | null;
  height: number | null;
  fps: number | null;
  hash: string;
}

export interface StoredMedia {
  info: VideoInfo;
  /** Absolute path on disk (a generated name, never the client's). */
  path: string;
  probe: MediaInfo;
}

export interface User {
  id: string;
  available: number;
  frozen: number;
}

export interface TokenRecord {
  token: string;
  userId: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
  /** The Idempotency-Key of the request that got this token: its retry gets the same answer. */
  idempotencyKey?: string;
}

export interface Session {
  id: string;
  taskId: string;
  taskName: string;
  language: string;
  userId: string;
  media: StoredMedia[];
  /** Built from the uploads by `draftFromMedia` until the first edit; then owned by the agent. */
  draft?: Draft;
  edited: boolean;
  /** The session's one edit charge (protocol: ~50 per session) has been taken. */
  charged: boolean;
  /** Edits applied (drives the deterministic silent-edit choice). */
  edits: number;
  /** Chat turns of one session run one after another. */
  queue: Promise<void>;
}

/** One frame written on a /run_sse stream, with the time `res.write()` returned (ms). */
export interface SseWriteRecord extends SseWrite {
  sessionId: string;
  /** Order of the write among all recorded writes. */
  seq: number;
  writtenAt: number;
}

const SSE_WRITES_KEPT = 2000;
/** Distinct request paths counted one by one; later new paths are counted under `(other)`. */
const PATHS_KEPT = 10_000;

/**
 * `GET /_nemo/stats`: counts only. No path holds a session or render id, no SSE text, no user id:
 * whoever holds the admin secret learns how busy the server is, not what anyone said or made.
 */
export interface AdminStats {
  /** Requests per route, e.g. `POST /run_sse`, `GET /api/state/nemo_agent/me/:sid/latest`, `GET /media/*`. */
  requests: Record<string, number>;
  uploadsStored: number;
  sessions: number;
  /** run_sse messages, all sessions together. */
  runSse: number;
  renders: Record<'total' | 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled', number>;
  lastRenderCompletedAt: number | null;
  /** SSE frames written, per kind. */
  sseWrites: Record<string, number>;
}

/** The in-process detail (`RunningServer.stats()`): per path and per session, with SSE text. */
export interface ServerStats {
  /** Requests per path (without the query). */
  requests: Record<string, number>;
  uploadsStored: number;
  /** run_sse messages per session id. */
  runSse: Record<string, number>;
  renders: string[];
  lastRenderCompletedAt: number | null;
  /** The last 2000 SSE frames written (benchmarks read the server-side write times). */
  sseWrites: SseWriteRecord[];
}

/**
 * The key of a served file: its URL path, percent-decoded, so `/media/1/ab/my%20clip.mp4` and
 * `/media/1/ab/my clip.mp4` are the same file. Undecodable paths are used as they are.
 */
export function fileKey(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** The server's in-memory state. Files live under the data dir; this holds the index. */
export class Store {
  readonly users = new Map<string, User>();
  readonly tokens = new Map<string, TokenRecord>();
  /** X-Client-Id → the latest token issued to it. */
  readonly clients = new Map<string, TokenRecord>();
  readonly sessions = new Map<string, Session>();
  /** `fileKey` of `/media/<sid>/<id>/<name>` → the file. Kept when a session is lost (a CDN outlives state). */
  readonly media = new Map<string, StoredMedia>();
  /** `fileKey` of `/renders/<id>.<ext>` → the finished render's path. */
  readonly renderFiles = new Map<string, string>();
  readonly stats: ServerStats = {
    requests: {},
    uploadsStored: 0,
    runSse: {},
    renders: [],
    lastRenderCompletedAt: null,
    sseWrites: [],
  };
  /** Requests per route label (see `AdminStats.requests`). */
  readonly routeCounts: Record<string, number> = {};
  /** SSE frames written per kind (all of them, not only the kept ones). */
  readonly sseKinds: Record<string, number> = {};
  private sseSeq = 0;
  private paths = 0;

  countRequest(path: string, route: string): void {
    this.routeCounts[route] = (this.routeCounts[route] ?? 0) + 1;
    const requests = this.stats.requests;
    const key = path in requests || this.paths < PATHS_KEPT ? path : '(other)';
    if (!(key in requests)) this.paths++;
    requests[key] = (requests[key] ?? 0) + 1;
  }

  recordSseWrite(sessionId: string, write: SseWrite): void {
    this.sseKinds[write.kind] = (this.sseKinds[write.kind] ?? 0) + 1;
    const writes = this.stats.sseWrites;
    writes.push({ ...write, sessionId, seq: ++this.sseSeq, writtenAt: Date.now() });
    if (writes.length > 2 * SSE_WRITES_KEPT) writes.splice(0, writes.length - SSE_WRITES_KEPT);
  }

  /** The user's session, or undefined when it does not exist or belongs to someone else. */
  sessionOf(userId: string, sid: string): Session | undefined {
    const s = this.sessions.get(sid);
    return s && s.userId === userId ? s : undefined;
  }
}
