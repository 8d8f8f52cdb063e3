import type { IncomingMessage } from 'node:http';
import type { Engine } from './engine.js';
import type { FaultController } from './faults.js';
import type { AdminPolicy } from './guard.js';
import type { ResolvedOptions } from './options.js';
import type { Store } from './store.js';

/** What every handler can reach: options, state, faults, the engine, and where files go. */
export interface ServerContext {
  opts: ResolvedOptions;
  store: Store;
  faults: FaultController;
  engine: Engine;
  /** Holds `uploads/` and `renders/`. */
  dataDir: string;
  /** The URL clients use to reach this server, e.g. `http://127.0.0.1:8787` (no trailing slash). */
  baseUrl(req?: IncomingMessage): string;
  log(line: string): void;
  /** The admin secret (undefined = admin off) and the `Host` values this server answers. */
  admin: AdminPolicy;
  /** Aborted by close(): long work (agent turns, renders) stops. */
  shutdown: AbortSignal;
}
