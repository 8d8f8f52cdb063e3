import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { downloadReclaimer } from '../../src/cli/reclaim.js';

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
    const reclaim = downloadReclaimer(1000);
    const below = await minorGcsDuring(() => {
      for (let i = 0; i < 40; i++) reclaim(i * 10); // never reaches 1000
    });
    const crossing = await minorGcsDuring(() => {
      for (let i = 1; i <= 40; i++) reclaim(i * 1000); // crosses the next threshold every call
    });
    expect(crossing).toBeGreaterThanOrEqual(40);
    expect(below).toBeLessThan(crossing);
  });
});
