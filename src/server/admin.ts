import { realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ServerContext } from './context.js';
import { type FaultSpec, validateFaultSpec } from './faults.js';
import { checkAdmin } from './guard.js';
import { envelopeError, readJson, sendJson } from './http.js';
import type { RenderManager } from './renders.js';
import type { AdminStats } from './store.js';

/**
 * Test and benchmark controls, off unless the server was started with `admin` (404 then, like any
 * unknown path). With it: loopback peers only, `X-Nemo-Admin: <secret>`, no foreign `Origin`, and
 * POST bodies in `application/json` (see `checkAdmin`).
 * `POST /_nemo/faults` (a FaultSpec or an array), `DELETE /_nemo/faults`, `GET /_nemo/faults`,
 * `POST /_nemo/renders` (`{"path", "sessionId"?}`: a file inside the data dir as a completed render),
 * `GET /_nemo/stats` (counts only: `AdminStats`).
 */
export async function admin(
  ctx: ServerContext,
  renders: RenderManager,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  checkAdmin(req, path, ctx.admin);
  if (path === '/_nemo/renders' && req.method === 'POST') {
    const body = (await readJson(req, ctx.opts.maxJsonBytes)) as
      | { path?: unknown; sessionId?: unknown }
      | undefined;
    if (typeof body?.path !== 'string' || !body.path)
      throw envelopeError(400, 400, 'Expected {"path": "<file in the data dir>", "sessionId"?}');
    const sessionId = typeof body.sessionId === 'string' ? body.sessionId : undefined;
    const file = await insideDataDir(ctx.dataDir, body.path);
    const registered = await renders.register(file, sessionId).catch((err: Error) => {
      throw envelopeError(400, 400, err.message);
    });
    sendJson(res, 200, registered);
    return;
  }
  if (path === '/_nemo/stats' && req.method === 'GET') {
    sendJson(res, 200, adminStats(ctx, renders));
    return;
  }
  if (path === '/_nemo/faults') {
    if (req.method === 'POST') {
      const body = await readJson(req, ctx.opts.maxJsonBytes);
      const specs = Array.isArray(body) ? body : [body];
      let valid: FaultSpec[];
      try {
        valid = specs.map(validateFaultSpec);
      } catch (err) {
        throw envelopeError(400, 400, (err as Error).message);
      }
      for (const spec of valid) ctx.faults.add(spec);
      sendJson(res, 200, { faults: ctx.faults.list() });
      return;
    }
    if (req.method === 'DELETE') ctx.faults.clear();
    if (req.method === 'DELETE' || req.method === 'GET') {
      sendJson(res, 200, { faults: ctx.faults.list() });
      return;
    }
  }
  throw envelopeError(404, 404, `Not found: ${req.method} ${path}`);
}

/** Counts only: no session, render or user ids, no SSE text. */
export function adminStats(ctx: ServerContext, renders: RenderManager): AdminStats {
  const { store } = ctx;
  return {
    requests: { ...store.routeCounts },
    uploadsStored: store.stats.uploadsStored,
    sessions: store.sessions.size,
    runSse: Object.values(store.stats.runSse).reduce((n, c) => n + c, 0),
    renders: renders.counts(),
    lastRenderCompletedAt: store.stats.lastRenderCompletedAt,
    sseWrites: { ...store.sseKinds },
  };
}

/**
 * The real path of `given` when it is a file inside the data dir (relative paths are taken from the
 * data dir), else a 400: no `..` segment, nothing outside after symlinks are resolved.
 */
async function insideDataDir(dataDir: string, given: string): Promise<string> {
  if (given.includes('\0') || given.split(/[\\/]/).includes('..'))
    throw envelopeError(400, 400, 'path must not contain ".." segments');
  const root = await realpath(dataDir);
  const real = await realpath(resolve(root, given)).catch(() => undefined);
  if (!real) throw envelopeError(400, 400, `not a file in the data dir: ${given}`);
  const rel = relative(root, real);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw envelopeError(400, 400, `path is outside the data dir (${root}): ${given}`);
  return real;
}
