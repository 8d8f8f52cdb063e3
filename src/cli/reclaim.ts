import { runtimeHooks } from './runtime.js';

type Gc = NonNullable<ReturnType<typeof runtimeHooks>['gc']>;

/**
 * Frees the socket buffers of a long download as it goes. undici hands each 64 KiB read over as a view
 * of the socket's buffer; once written to disk it is garbage, but V8 only collects when the external
 * memory has grown by tens of MiB. A young-generation GC every 8 MiB written (a scavenge of a nearly
 * empty nursery, well under a millisecond) keeps a 500 MB download's peak RSS under the budget
 * (bench/FINDINGS.md F1). `gc` comes from the CLI entry (bin/nemo.js, the one place for V8 flags);
 * without it (tests, the library) this does nothing.
 */
export function downloadReclaimer(
  everyBytes = 8 * 2 ** 20,
  collect: Gc | undefined = runtimeHooks().gc,
): (receivedBytes: number) => void {
  if (!collect) return () => {};
  let next = everyBytes;
  return (received) => {
    if (received < next) return;
    next = received + everyBytes;
    collect({ type: 'minor' });
  };
}
