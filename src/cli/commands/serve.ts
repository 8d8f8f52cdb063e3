import type { FaultSpec, ServerOptions } from '../../server/index.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { useEngineCache } from '../engine-cache.js';

export interface ServeOptions {
  host: string;
  port: string;
  dataDir?: string;
  renderShape?: 'v19' | 'v44';
  sseShape?: 'adk' | 'typed';
  heartbeatMs?: string;
  heartbeatForm?: 'comment' | 'empty' | 'typed';
  silentFraction?: string;
  trailingApology?: boolean;
  renderMinMs?: string;
  editCost?: string;
  startCredits?: string;
  maxUploadBytes?: string;
  renderConcurrency?: string;
  renderTimeoutMs?: string;
  admin?: boolean;
  allowHost?: string[];
  fault: string[];
  log?: boolean;
}

/** Where `nemo serve --admin` takes its admin secret from (else a random one per run). */
export const ADMIN_SECRET_ENV = 'NEMO_SERVE_ADMIN_SECRET';

function num(
  flag: string,
  value: string | undefined,
  opts: { min?: number; max?: number; int?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok =
    Number.isFinite(n) &&
    (!opts.int || Number.isInteger(n)) &&
    n >= (opts.min ?? 0) &&
    n <= (opts.max ?? Number.MAX_SAFE_INTEGER);
  if (!ok)
    throw new UsageError(
      `${flag} got ${JSON.stringify(value)}`,
      `give a ${opts.int ? 'whole ' : ''}number${opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : ' ≥ 0'}`,
    );
  return n;
}

/** Maps the flags onto `startServer` options (exit 2 on a bad value or fault spec). */
export async function serverOptions(
  opts: ServeOptions,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<ServerOptions> {
  const { parseFaultFlag } = await import('../../server/index.js');
  const faults: FaultSpec[] = opts.fault.map((f) => {
    try {
      return parseFaultFlag(f);
    } catch (err) {
      throw new UsageError(
        `bad --fault ${JSON.stringify(f)}: ${(err as Error).message}`,
        'e.g. --fault render-fail or --fault rate-limit:path=/api/credits,times=2,retryAfterS=1',
      );
    }
  });
  const adminSecret = env[ADMIN_SECRET_ENV] || undefined;
  if (adminSecret !== undefined && adminSecret.length < 16)
    throw new UsageError(
      `${ADMIN_SECRET_ENV} is too short`,
      'use at least 16 random characters, or unset it',
    );
  return {
    host: opts.host,
    port: num('--port', opts.port, { max: 65535, int: true }),
    dataDir: opts.dataDir,
    renderShape: opts.renderShape,
    sseShape: opts.sseShape,
    heartbeatMs: num('--heartbeat-ms', opts.heartbeatMs, { min: 1 }),
    heartbeatForm: opts.heartbeatForm,
    silentFraction: num('--silent-fraction', opts.silentFraction, { max: 1 }),
    trailingApology: opts.trailingApology,
    renderMinMs: num('--render-min-ms', opts.renderMinMs),
    editCost: num('--edit-cost', opts.editCost, { int: true }),
    startCredits: num('--start-credits', opts.startCredits, { int: true }),
    maxUploadBytes: num('--max-upload-bytes', opts.maxUploadBytes, { min: 1, int: true }),
    renderConcurrency: num('--render-concurrency', opts.renderConcurrency, { min: 1, max: 64, int: true }),
    renderTimeoutMs: num('--render-timeout-ms', opts.renderTimeoutMs, { int: true }),
    admin: opts.admin,
    adminSecret: opts.admin ? adminSecret : undefined,
    allowedHosts: opts.allowHost,
    faults,
    logger: opts.log ? log : undefined,
  };
}

/**
 * `nemo serve`: the URL on stdout; on stderr the bound address, a warning when other machines can reach
 * it, the admin secret with --admin, and "Ctrl-C to stop". Stops cleanly on SIGINT/SIGTERM (exit 0).
 */
export async function run(ctx: Ctx, _args: unknown, opts: ServeOptions): Promise<void> {
  const options = await serverOptions(opts, (line) => ctx.out.say(line), ctx.env);
  const { startServer } = await import('../../server/index.js');
  useEngineCache(ctx.env);
  const server = await startServer(options);
  if (ctx.out.json) ctx.out.result({ url: server.url, port: server.port, address: server.address });
  else ctx.out.data(server.url);
  const where = `${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}`;
  const also = server.urls.length > 1 ? ` (every interface: ${server.urls.join(', ')})` : '';
  // Said even under --quiet: these change who can reach what.
  if (!server.loopbackOnly)
    ctx.out.say(
      `warning: nemo serve is reachable from other machines on ${where}: it has no TLS (tokens and media travel in clear text) and test-grade auth (anyone who can connect gets a token); bind 127.0.0.1 unless you mean it`,
    );
  if (server.adminSecret)
    ctx.out.say(
      `admin endpoints on (/_nemo/*, loopback only): send the header ${
        options.adminSecret
          ? `X-Nemo-Admin with the secret in ${ADMIN_SECRET_ENV}`
          : `"X-Nemo-Admin: ${server.adminSecret}"`
      }`,
    );
  // the readiness line comes last, so whoever waits for it has read the whole banner
  ctx.out.info(`nemo serve listening on ${where}${also}${faults(options)}; Ctrl-C to stop`);
  const signal = ctx.interrupt.signal;
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  ctx.out.info('stopping…');
  await server.close();
}

function faults(options: ServerOptions): string {
  return options.faults?.length ? ` with faults ${options.faults.map((f) => f.name).join(', ')}` : '';
}
