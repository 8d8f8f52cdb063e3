import { describe, expect, it } from 'vitest';
import { drawTimeline } from '../../src/cli/timeline-draw.js';
import type { Draft } from '../../src/timeline/index.js';

const draft: Draft = {
  t: [
    {
      tt: 0,
      sg: [
        { d: 6000, m: { name: 'a' } },
        { d: 4000, m: { name: 'b' } },
      ],
    },
    { tt: 1, sg: [{ d: 10000, m: { name: 'lofi', volume: 0.35 } }] },
    { tt: 7, sg: [{ d: 2500, m: { text: 'Urban Dreams', at: 0 } }] },
  ],
};

describe('drawTimeline', () => {
  it('draws one lane per track, bars scaled to duration, cuts visible', () => {
    const lines = drawTimeline(draft, { width: 20 });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\s+0s.*2\.5s.*5s.*7\.5s.*10s$/);
    expect(lines[1]).toBe('1 Video     |████████████▓▓▓▓▓▓▓▓|');
    expect(lines[2]).toBe('2 BGM       |████████████████████|');
    expect(lines[3]).toBe('3 Title     |█████···············|');
  });

  it('colours lanes by track type through paint', () => {
    const lines = drawTimeline(draft, { width: 10, paint: (type, s) => `<${type}>${s}` });
    expect(lines.slice(1).map((l) => l.match(/<(\w+)>/)?.[1])).toEqual(['video', 'audio', 'text']);
  });

  it('says so when there is nothing', () => {
    expect(drawTimeline(undefined)).toEqual(['(no tracks yet)']);
    expect(drawTimeline({ t: [] })).toEqual(['(no tracks yet)']);
  });
});
