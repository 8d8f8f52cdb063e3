import type { FaultSpec, ServerOptions } from '../../server/index.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';

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
  fault: string[];
  log?: boolean;
}

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
export async function serverOptions(opts: ServeOptions, log: (line: string) => void): Promise<ServerOptions> {
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
    faults,
    logger: opts.log ? log : undefined,
  };
}

/** `nemo serve`: the URL on stdout, "Ctrl-C to stop" on stderr; stops cleanly on SIGINT/SIGTERM (exit 0). */
export async function run(ctx: Ctx, _args: unknown, opts: ServeOptions): Promise<void> {
  const options = await serverOptions(opts, (line) => ctx.out.say(line));
  const { startServer } = await import('../../server/index.js');
  const server = await startServer(options);
  if (ctx.out.json) ctx.out.result({ url: server.url, port: server.port });
  else ctx.out.data(server.url);
  ctx.out.info(`nemo serve listening on ${server.url}${faults(options)}; Ctrl-C to stop`);
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
