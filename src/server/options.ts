import type { FaultSpec } from './faults.js';

/** Socket and request time limits (ms). Small values are for tests of the hardening. */
export interface ServerTimeouts {
  /** Time to receive the request headers (node `headersTimeout`); default 20 000. */
  headersMs?: number;
  /** Time to receive a whole request, body included (node `requestTimeout`); default 300 000. */
  requestMs?: number;
  /** Idle time of a kept-alive socket between requests (node `keepAliveTimeout`); default 5 000. */
  keepAliveMs?: number;
}

/**
 * Options of `startServer` (the `nemo serve` flags map onto these one by one).
 */
export interface ServerOptions {
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Port; 0 = ephemeral (default; the CLI defaults to 8787). */
  port?: number;
  /** Uploads + renders; default a fresh temp dir, removed on close(). */
  dataDir?: string;
  /** Render poll body (protocol §4.8): v44 `{success,data:{…,outputUrl}}` (default) or v19 `{…,output:{url}}`. */
  renderShape?: 'v19' | 'v44';
  /** /run_sse events: ADK Event JSON (default) or the type-tagged form. */
  sseShape?: 'adk' | 'typed';
  /** Heartbeat interval while the agent works; default 2000. */
  heartbeatMs?: number;
  /** ': ping' comment (default), an empty `data:` line, or `{"type":"heartbeat"}`. */
  heartbeatForm?: 'comment' | 'empty' | 'typed';
  /** 0..1 share of edits answered with tool events only (no text); edit n is silent when ⌊n·f⌋ > ⌊(n−1)·f⌋. */
  silentFraction?: number;
  /** Append the vendor's "I encountered a temporary issue…" text after a normal reply. */
  trailingApology?: boolean;
  /** The agent works at least this long on each /run_sse message (heartbeats only meanwhile); default 0. */
  agentMinMs?: number;
  /** A render takes at least this long (progress advances meanwhile); default 0. */
  renderMinMs?: number;
  /** Credits taken at a session's first edit; default 50. */
  editCost?: number;
  /** Credits of a new anonymous user; default 100. */
  startCredits?: number;
  /** Uploads above this many bytes get 4002; default 500 MiB. */
  maxUploadBytes?: number;
  /** JSON bodies above this many bytes get 413; default 1 MiB. */
  maxJsonBytes?: number;
  /** Renders run at the same time; the rest wait in order. Default 2. */
  renderConcurrency?: number;
  /** A render still running after this many ms fails ("time limit") and frees its slot; 0 = none. Default 30 min. */
  renderTimeoutMs?: number;
  /**
   * Turn on the admin endpoints `/_nemo/faults`, `/_nemo/stats`, `/_nemo/renders` (default off: 404).
   * They then need `X-Nemo-Admin: <adminSecret>` (see `RunningServer.adminSecret`), a loopback peer, no
   * foreign `Origin`, and JSON bodies.
   */
  admin?: boolean;
  /** The admin secret (default: random per run). Only with `admin`. */
  adminSecret?: string;
  /**
   * More `Host` header values to answer (`name` for this port, `name:port`), e.g. a name in front of a
   * proxy. The bound address, `localhost`, `127.0.0.1` and `[::1]` with the port are always answered.
   */
  allowedHosts?: string[];
  timeouts?: ServerTimeouts;
  faults?: FaultSpec[];
  /** One line per request and per notable event; the server never prints by itself. */
  logger?: (line: string) => void;
}

export type ResolvedOptions = Required<
  Omit<ServerOptions, 'dataDir' | 'faults' | 'logger' | 'timeouts' | 'admin' | 'adminSecret' | 'allowedHosts'>
> & {
  timeouts: Required<ServerTimeouts>;
};

export function resolveOptions(opts: ServerOptions): ResolvedOptions {
  const silentFraction = opts.silentFraction ?? 0;
  if (!(silentFraction >= 0 && silentFraction <= 1))
    throw new Error('silentFraction must be between 0 and 1');
  const renderConcurrency = opts.renderConcurrency ?? 2;
  if (!(Number.isInteger(renderConcurrency) && renderConcurrency >= 1))
    throw new Error('renderConcurrency must be a whole number ≥ 1');
  const renderTimeoutMs = opts.renderTimeoutMs ?? 30 * 60_000;
  if (!(renderTimeoutMs >= 0)) throw new Error('renderTimeoutMs must be ≥ 0');
  if (opts.adminSecret !== undefined && opts.adminSecret.length < 16)
    throw new Error('adminSecret must be at least 16 characters');
  return {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    renderShape: opts.renderShape ?? 'v44',
    sseShape: opts.sseShape ?? 'adk',
    heartbeatMs: opts.heartbeatMs ?? 2000,
    heartbeatForm: opts.heartbeatForm ?? 'comment',
    silentFraction,
    trailingApology: opts.trailingApology ?? false,
    agentMinMs: opts.agentMinMs ?? 0,
    renderMinMs: opts.renderMinMs ?? 0,
    editCost: opts.editCost ?? 50,
    startCredits: opts.startCredits ?? 100,
    maxUploadBytes: opts.maxUploadBytes ?? 500 * 1024 * 1024,
    maxJsonBytes: opts.maxJsonBytes ?? 1024 * 1024,
    renderConcurrency,
    renderTimeoutMs,
    timeouts: {
      headersMs: opts.timeouts?.headersMs ?? 20_000,
      requestMs: opts.timeouts?.requestMs ?? 300_000,
      keepAliveMs: opts.timeouts?.keepAliveMs ?? 5_000,
    },
  };
}
