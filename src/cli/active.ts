import type { Ctx } from './context.js';

let active: Ctx | undefined;

/** The context of the running command (main uses its output to report errors); no imports, so cheap. */
export function activeContext(): Ctx | undefined {
  return active;
}

export function setActiveContext(ctx: Ctx | undefined): void {
  active = ctx;
}
