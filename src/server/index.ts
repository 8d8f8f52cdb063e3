import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerContext } from './context.js';
import { engine } from './engine.js';
import { FaultController } from './faults.js';
import { allowedHosts, hostLiteral, interfaceAddresses, isWildcard, newAdminSecret } from './guard.js';
import { isLoopback } from './http.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { RenderManager } from './renders.js';
import { createRequestListener } from './router.js';
import { type ServerStats, Store } from './store.js';

export { APOLOGY } from './agent.js';
export { FAULT_NAMES, FaultController, type FaultName, type FaultSpec, parseFaultFlag } from './faults.js';
export { ADMIN_HEADER } from './guard.js';
export type { ServerOptions, ServerTimeouts } from './options.js';
export type { AdminStats, ServerStats, SseWriteRecord } from './store.js';

export interface RunningServer {
  /** A URL this machine reaches the server at, e.g. `http://127.0.0.1:8787` (bound to all: the loopback one). */
  url: string;
  port: number;
  /** The address actually bound, e.g. `127.0.0.1`, `::1`, `0.0.0.0`. */
  address: string;
  /** Every URL the server answers at: the bound one, or one per interface address when bound to all. */
  urls: string[];
  /** False when the server is reachable from other machines (bound to a non-loopback address). */
  loopbackOnly: boolean;
  /** The admin secret to send as `X-Nemo-Admin` (see ADMIN_HEADER); undefined when admin is off. */
  adminSecret?: string;
  /** The in-process detail (per path, per session, SSE text): for tests and benchmarks in this process. */
  stats(): ServerStats;
  /** Change faults at run time: `add(spec)`, `clear()`, `list()`. */
  faults: FaultController;
  /**
   * Makes an existing file a `completed` render (served in place from `filePath`, not copied), owned by
   * the owner of `sessionId`, or by any token without one. For benchmarks of the download path; also
   * `POST /_nemo/renders {"path", "sessionId"?}` (admin only, and there only for files inside the data
   * dir; this in-process call trusts its caller, who can read the file anyway).
   */
  registerRender(filePath: string, opts?: { sessionId?: string }): Promise<{ id: string; url: string }>;
  /** Stops listening, drops open connections, kills running renders, removes a temp data dir. */
  close(): Promise<void>;
}

/**
 * `nemo serve`: a stateful NemoVideo-compatible server (protocol §4) on node:http, whose agent and
 * renderer are the on-device engine. Binds 127.0.0.1 unless told otherwise. State is in memory; uploads
 * and renders are files under `dataDir`.
 *
 * Endpoints: `POST /api/auth/anonymous-token`, `POST /api/auth/claim-token`,
 * `POST /api/tasks/me/with-session/nemo_agent`, `POST /run_sse`, `POST /api/upload-video/nemo_agent/me/<sid>`,
 * `GET /api/credits/balance/simple`, `GET /api/state/nemo_agent/me/<sid>/latest`,
 * `POST /api/render/proxy/lambda`, `GET /api/render/proxy/lambda/<id>`, `POST /api/render/proxy/lambda/<id>/cancel`,
 * `GET /api/render/proxy/<id>/download`; the "CDN" `GET /media/<sid>/<id>/<name>` and `GET /renders/<id>.<ext>`
 * (no auth, Range: the render URL holds a 128-bit capability); admin `/_nemo/faults`, `/_nemo/stats`,
 * `/_nemo/renders` only with `admin` and the `X-Nemo-Admin` secret. Every request must name this
 * server in `Host` (421 otherwise: DNS rebinding).
 *
 * Choices where the protocol is silent: the session's draft is `draftFromMedia` of its uploads right
 * after each upload until the first edit (so state is export-ready at once); 2001 comes as HTTP 200 with
 * a JSON body on /run_sse; 4001 is HTTP 400 and 4002 HTTP 413; silent edits are chosen by the session's
 * edit count; renders run `renderConcurrency` at a time, each for at most `renderTimeoutMs`.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const opts = resolveOptions(options);
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'nemo-serve-')));
  await mkdir(dataDir, { recursive: true });
  const store = new Store();
  const faults = new FaultController(options.faults ?? [], () => store.stats.uploadsStored);
  const shutdown = new AbortController();
  let ownUrl = '';
  const adminSecret = options.admin ? (options.adminSecret ?? newAdminSecret()) : undefined;
  const hosts = new Set<string>();
  const ctx: ServerContext = {
    opts,
    store,
    faults,
    engine,
    dataDir,
    shutdown: shutdown.signal,
    log: (line) => options.logger?.(line),
    admin: { secret: adminSecret, allowedHosts: hosts },
    baseUrl: (req?: IncomingMessage) => {
      // Bound to one address: always that. Bound to all interfaces: the Host the client used (checked
      // against the allowed hosts before any handler runs).
      const host = req?.headers.host;
      return isWildcard(opts.host) && host && hosts.has(host.toLowerCase()) ? `http://${host}` : ownUrl;
    },
  };
  const renders = new RenderManager(ctx);
  const server = createServer(
    {
      headersTimeout: opts.timeouts.headersMs,
      requestTimeout: opts.timeouts.requestMs,
      keepAliveTimeout: opts.timeouts.keepAliveMs,
      // How often node checks the two timeouts above; small timeouts need a finer check.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(opts.timeouts.headersMs / 4))),
    },
    createRequestListener(ctx, renders),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  for (const h of allowedHosts(address, port, options.allowedHosts)) hosts.add(h);
  const wildcard = isWildcard(address);
  const urls = wildcard
    ? [...new Set(['127.0.0.1', ...interfaceAddresses(address)])].map(
        (a) => `http://${hostLiteral(a)}:${port}`,
      )
    : [`http://${hostLiteral(address)}:${port}`];
  ownUrl = wildcard ? `http://127.0.0.1:${port}` : urls[0]!;
  const loopbackOnly = !wildcard && isLoopback(address);
  ctx.log(`nemo serve listening on ${hostLiteral(address)}:${port} (data in ${dataDir})`);
  let closing: Promise<void> | undefined;
  return {
    url: ownUrl,
    port,
    address,
    urls,
    loopbackOnly,
    adminSecret,
    stats: () => structuredClone(store.stats),
    faults,
    registerRender: (filePath, o) => renders.register(filePath, o?.sessionId),
    close: () => {
      closing ??= (async () => {
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await renders.close();
        await closed;
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
