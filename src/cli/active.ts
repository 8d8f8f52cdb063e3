import { AsyncLocalStorage } from 'node:async_hooks';
import type { Ctx } from './context.js';
import { type IOStreams, processIO } from './io.js';

/** One run of the CLI: its IO and, once a command has started, its context. */
interface Run {
  io: IOStreams;
  ctx?: Ctx;
}

/**
 * Each `main()` call is one run, scoped with AsyncLocalStorage rather than module-level variables, so
 * two commands running in the same process (tests run commands in process, some at once) never see each
 * other's streams or context.
 */
const runs = new AsyncLocalStorage<Run>();

export function withRun<T>(io: IOStreams, fn: () => Promise<T>): Promise<T> {
  return runs.run({ io }, fn);
}

/** The IO of the current run (the process's own outside any run). */
export function runIO(): IOStreams {
  return runs.getStore()?.io ?? processIO();
}

/** The context of the running command (main uses its output to report errors). */
export function activeContext(): Ctx | undefined {
  return runs.getStore()?.ctx;
}

export function setActiveContext(ctx: Ctx | undefined): void {
  const run = runs.getStore();
  if (run) run.ctx = ctx;
}
