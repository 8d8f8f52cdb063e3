import type { IncomingMessage, ServerResponse } from 'node:http';
import { admin } from './admin.js';
import { runSse } from './agent.js';
import { anonymousToken, authenticate, claimToken } from './auth.js';
import type { ServerContext } from './context.js';
import { serveFile } from './files.js';
import { checkHost } from './guard.js';
import { envelopeError, HttpError, sendHttpError, sendJson } from './http.js';
import { newRequestId } from './ids.js';
import type { RenderManager } from './renders.js';
import { createSession, getCredits, getState } from './sessions.js';
import { fileKey, type TokenRecord } from './store.js';
import { upload } from './uploads.js';

type Handler = (
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  renders: RenderManager,
) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  /** The route as the admin stats name it (no ids). */
  label: string;
  handler: Handler;
}

/** Wraps a handler that needs a valid bearer token. */
const authed =
  (
    fn: (
      ctx: ServerContext,
      token: TokenRecord,
      req: IncomingMessage,
      res: ServerResponse,
      params: string[],
      renders: RenderManager,
    ) => unknown,
  ): Handler =>
  (ctx, req, res, params, renders) =>
    fn(ctx, authenticate(ctx, req), req, res, params, renders);

const SEG = '([^/]+)';
/** The user path segment is `me`, or (older API form, §12.10) the user's own id. */
const USER = '(?:me|anon_[A-Za-z0-9]+)';

const ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: /^\/api\/auth\/anonymous-token$/,
    label: '/api/auth/anonymous-token',
    handler: (ctx, req, res) => anonymousToken(ctx, req, res),
  },
  {
    method: 'POST',
    pattern: /^\/api\/auth\/claim-token$/,
    label: '/api/auth/claim-token',
    handler: authed((ctx, t, _q, res) => claimToken(ctx, t, res)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/tasks/${USER}/with-session/nemo_agent$`),
    label: '/api/tasks/me/with-session/nemo_agent',
    handler: authed((ctx, t, req, res) => createSession(ctx, t, req, res)),
  },
  {
    method: 'POST',
    pattern: /^\/run_sse$/,
    label: '/run_sse',
    handler: authed((ctx, t, req, res) => runSse(ctx, t, req, res)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/upload-video/nemo_agent/${USER}/${SEG}$`),
    label: '/api/upload-video/nemo_agent/me/:sid',
    handler: authed((ctx, t, req, res, p) => upload(ctx, t, p[0]!, req, res)),
  },
  {
    method: 'GET',
    pattern: /^\/api\/credits\/balance\/simple$/,
    label: '/api/credits/balance/simple',
    handler: authed((ctx, t, _q, res) => getCredits(ctx, t, res)),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/state/nemo_agent/${USER}/${SEG}/latest$`),
    label: '/api/state/nemo_agent/me/:sid/latest',
    handler: authed((ctx, t, _q, res, p) => getState(ctx, t, p[0]!, res)),
  },
  {
    method: 'POST',
    pattern: /^\/api\/render\/proxy\/lambda$/,
    label: '/api/render/proxy/lambda',
    handler: authed((_c, t, req, res, _p, r) => r.submit(t, req, res)),
  },
  {
    // The init-era path `/api/render/proxy/<id>` (§4.8) answers the same poll.
    method: 'GET',
    pattern: new RegExp(`^/api/render/proxy/(?:lambda/)?${SEG}$`),
    label: '/api/render/proxy/lambda/:id',
    handler: authed((_c, t, _q, res, p, r) => r.poll(t, p[0]!, res)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/render/proxy/lambda/${SEG}/cancel$`),
    label: '/api/render/proxy/lambda/:id/cancel',
    handler: authed((_c, t, _q, res, p, r) => r.cancel(t, p[0]!, res)),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/render/proxy/${SEG}/download$`),
    label: '/api/render/proxy/:id/download',
    handler: authed((_c, t, req, res, p, r) => r.download(t, p[0]!, req, res)),
  },
];

const HTML_503 = '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>';

/** Answers the protocol faults that replace a whole response (html-503, rate-limit); true when one fired. */
function responseFault(ctx: ServerContext, path: string, res: ServerResponse): boolean {
  if (ctx.faults.take('html-503', path)) {
    res.writeHead(503, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(HTML_503) });
    res.end(HTML_503);
    return true;
  }
  const limited = ctx.faults.take('rate-limit', path);
  if (limited) {
    sendJson(
      res,
      429,
      { code: 429, message: 'Rate limited' },
      { 'Retry-After': String(limited.retryAfterS ?? 1) },
    );
    return true;
  }
  return false;
}

const ADMIN_PATHS = new Set(['/_nemo/faults', '/_nemo/stats', '/_nemo/renders']);

/** The route label of a path for the admin stats: no session, render or file ids in it. */
function routeLabel(method: string, path: string): string {
  if (ADMIN_PATHS.has(path)) return `${method} ${path}`;
  for (const prefix of ['/media/', '/renders/']) if (path.startsWith(prefix)) return `${method} ${prefix}*`;
  const route = ROUTES.find((r) => r.method === method && r.pattern.test(path));
  return route ? `${method} ${route.label}` : '(other)';
}

/** A percent-decoded path segment; a malformed escape (`%zz`, `%E0%A4`) is the client's error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw envelopeError(400, 400, 'Malformed percent-escape in the URL path');
  }
}

async function dispatch(
  ctx: ServerContext,
  renders: RenderManager,
  req: IncomingMessage,
  res: ServerResponse,
) {
  checkHost(req, ctx.admin.allowedHosts);
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';
  ctx.store.countRequest(path, routeLabel(method, path));
  if (path.startsWith('/_nemo/')) return admin(ctx, renders, path, req, res);
  const readOnly = method === 'GET' || method === 'HEAD';
  if (readOnly && path.startsWith('/media/')) {
    const media = ctx.store.media.get(fileKey(path));
    if (!media) throw envelopeError(404, 404, 'File not found');
    return serveFile(req, res, media.path);
  }
  if (readOnly && path.startsWith('/renders/')) {
    const file = ctx.store.renderFiles.get(fileKey(path));
    if (!file) throw envelopeError(404, 404, 'File not found');
    return renders.serve(file, req, res);
  }
  if (responseFault(ctx, path, res)) return;
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return route.handler(ctx, req, res, m.slice(1).map(decodeSegment), renders);
  }
  if (pathMatched) throw envelopeError(405, 405, `Method ${method} not allowed on ${path}`);
  throw envelopeError(404, 404, `Not found: ${method} ${path}`);
}

/** The node:http request listener: routing, error envelopes, request ids and the log line. */
export function createRequestListener(ctx: ServerContext, renders: RenderManager) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    res.setHeader('X-Request-Id', newRequestId());
    res.on('close', () => {
      const state = res.writableFinished ? String(res.statusCode) : `${res.statusCode} (dropped)`;
      ctx.log(`${req.method} ${req.url} ${state} ${Date.now() - started}ms`);
    });
    dispatch(ctx, renders, req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      // A reply sent before the body was read: close the connection rather than parse the rest.
      if (!req.complete) res.setHeader('Connection', 'close');
      if (err instanceof HttpError) {
        sendHttpError(res, err);
        return;
      }
      ctx.log(`internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
      sendJson(res, 500, { code: 500, message: 'Internal server error' });
    });
  };
}
