/**
 * What the CLI entry (bin/nemo.js) hands the program: the V8 features it set up before anything loaded.
 * bin/nemo.js is the one place where nemo touches V8 flags; the library never does, and without the
 * entry (tests, the library) every hook is simply absent.
 */
export interface RuntimeHooks {
  /** V8's `gc()` (from `--expose-gc`), for a young-generation collection during long downloads. */
  gc?: (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;
}

let hooks: RuntimeHooks = {};

export function setRuntimeHooks(next: RuntimeHooks): void {
  hooks = next;
}

export function runtimeHooks(): RuntimeHooks {
  return hooks;
}
