import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: Gc | undefined | null;

/**
 * Frees the socket buffers of a long download as it goes. undici hands each 64 KiB read over as a view
 * of the socket's buffer; once written to disk it is garbage, but V8 only collects when the external
 * memory has grown by tens of MiB, so a 500 MB download peaked at ~108 MiB RSS. A young-generation GC
 * every 8 MiB written (a scavenge of a nearly empty nursery, well under a millisecond) keeps it at
 * ~79 MiB with no loss of speed (bare-script measurements in bench/FINDINGS.md F1). `gc` is reached
 * the way the `expose-gc` package does it: the flag, then a fresh context that has the global. Where
 * that is not possible this does nothing.
 */
export function downloadReclaimer(everyBytes = 8 * 2 ** 20): (receivedBytes: number) => void {
  const collect = minorGc();
  if (!collect) return () => {};
  let next = everyBytes;
  return (received) => {
    if (received < next) return;
    next = received + everyBytes;
    collect({ type: 'minor' });
  };
}

function minorGc(): Gc | undefined {
  if (gc !== undefined) return gc ?? undefined;
  try {
    setFlagsFromString('--expose-gc');
    const found = runInNewContext('gc') as unknown;
    gc = typeof found === 'function' ? (found as Gc) : null;
  } catch {
    gc = null;
  }
  return gc ?? undefined;
}
