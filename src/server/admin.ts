import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { type FaultSpec, validateFaultSpec } from './faults.js';
import { envelopeError, isLoopback, readJson, sendJson } from './http.js';
import type { RenderManager } from './renders.js';

/**
 * Test and benchmark controls, loopback clients only:
 * `POST /_nemo/faults` (a FaultSpec or an array), `DELETE /_nemo/faults`, `GET /_nemo/faults`,
 * `POST /_nemo/renders` (`{"path", "sessionId"?}`: an existing file as a completed render),
 * `GET /_nemo/stats` (requests per path, uploads stored, run_sse messages per session, render ids,
 * the last render's completedAt in ms, and `sseWrites`: the last 2000 SSE frames with their write time).
 */
export async function admin(
  ctx: ServerContext,
  renders: RenderManager,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  if (!isLoopback(req.socket.remoteAddress))
    throw envelopeError(403, 403, 'Admin endpoints are loopback-only');
  if (path === '/_nemo/renders' && req.method === 'POST') {
    const body = (await readJson(req, ctx.opts.maxJsonBytes)) as
      | { path?: unknown; sessionId?: unknown }
      | undefined;
    if (typeof body?.path !== 'string')
      throw envelopeError(400, 400, 'Expected {"path": "<file>", "sessionId"?}');
    const sessionId = typeof body.sessionId === 'string' ? body.sessionId : undefined;
    const registered = await renders.register(body.path, sessionId).catch((err: Error) => {
      throw envelopeError(400, 400, err.message);
    });
    sendJson(res, 200, registered);
    return;
  }
  if (path === '/_nemo/stats' && req.method === 'GET') {
    sendJson(res, 200, ctx.store.stats);
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
