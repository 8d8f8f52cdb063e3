import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { envelopeError, readJsonObject, sendData } from './http.js';
import { newSessionId, newTaskId } from './ids.js';
import type { Session, TokenRecord } from './store.js';

/** `POST /api/tasks/me/with-session/nemo_agent` (§4.2): a new project and session on every call. */
export async function createSession(
  ctx: ServerContext,
  token: TokenRecord,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJsonObject(req, ctx.opts.maxJsonBytes);
  const text = (v: unknown, fallback: string): string =>
    typeof v === 'string' && v.trim() ? v.trim() : fallback;
  const session: Session = {
    id: newSessionId(),
    taskId: newTaskId(),
    taskName: text(body.task_name ?? body.taskName, 'project').slice(0, 200),
    language: text(body.language, 'en').slice(0, 20),
    userId: token.userId,
    media: [],
    edited: false,
    charged: false,
    edits: 0,
    queue: Promise.resolve(),
  };
  ctx.store.sessions.set(session.id, session);
  sendData(res, { task_id: session.taskId, session_id: session.id, user_id: token.userId });
}

/** The caller's session or 404 1002 "Session not found". */
export function requireSession(ctx: ServerContext, token: TokenRecord, sid: string): Session {
  const session = ctx.store.sessionOf(token.userId, sid);
  if (!session) throw envelopeError(404, 1002, 'Session not found');
  return session;
}

/** `GET /api/state/nemo_agent/me/<sid>/latest` (§4.7). */
export function getState(ctx: ServerContext, token: TokenRecord, sid: string, res: ServerResponse): void {
  const s = requireSession(ctx, token, sid);
  const first = s.media.find((m) => m.info.width && m.info.height)?.info;
  const width = s.draft?.m?.width ?? first?.width ?? null;
  const height = s.draft?.m?.height ?? first?.height ?? null;
  sendData(res, {
    session_id: s.id,
    task_id: s.taskId,
    task_name: s.taskName,
    state: {
      video_infos: s.media.map((m) => m.info),
      draft: s.draft ?? null,
      canvas_config: { width, height, aspect_ratio: width && height ? aspectRatio(width, height) : null },
      video_analyses: {},
      generated_media: [],
    },
  });
}

function aspectRatio(w: number, h: number): string {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(w, h);
  return `${w / g}:${h / g}`;
}

/** `GET /api/credits/balance/simple` (§4.6). */
export function getCredits(ctx: ServerContext, token: TokenRecord, res: ServerResponse): void {
  const user = ctx.store.users.get(token.userId)!;
  sendData(res, { available: user.available, frozen: user.frozen, total: user.available + user.frozen });
}
