import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { downloadReclaimer } from '../../src/cli/reclaim.js';

// what bin/nemo.js does before the program loads (the one place nemo touches V8 flags)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** Counts the young-generation collections V8 reports while `fn` runs. */
async function minorGcsDuring(fn: () => void): Promise<number> {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return minor;
}

describe('downloadReclaimer', () => {
  it('runs a young-generation GC each time another `everyBytes` have been received, not before', async () => {
    const reclaim = downloadReclaimer(1000, gc);
    const below = await minorGcsDuring(() => {
      for (let i = 0; i < 40; i++) reclaim(i * 10); // never reaches 1000
    });
    const crossing = await minorGcsDuring(() => {
      for (let i = 1; i <= 40; i++) reclaim(i * 1000); // crosses the next threshold every call
    });
    expect(crossing).toBeGreaterThanOrEqual(40);
    expect(below).toBeLessThan(crossing);
  });

  it('without the entry hook (the library, tests) it does nothing and flips no flag', () => {
    const reclaim = downloadReclaimer(1, undefined);
    expect(() => reclaim(10)).not.toThrow();
  });
});
