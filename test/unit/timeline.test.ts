import { describe, expect, it } from 'vitest';
import {
  type Draft,
  describeDiff,
  diffDrafts,
  draftDuration,
  exportReadinessProblem,
  isExportReady,
  parseDraft,
  placeSegments,
  summarize,
} from '../../src/timeline/index.js';

const vendorExample: Draft = {
  d: 10000,
  m: { title: 'Urban Dreams', width: 1920, height: 1080 },
  t: [
    { tt: 0, sg: [{ d: 10000, m: { src: 'https://cdn.example/clip.mp4', name: 'city timelapse' } }] },
    { tt: 1, sg: [{ d: 10000, m: { name: 'Lo-fi', volume: 0.35 } }] },
    { tt: 7, sg: [{ d: 3000, m: { text: 'Urban Dreams' } }] },
  ],
};

describe('summarize', () => {
  it('matches the vendor format exactly', () => {
    expect(summarize(vendorExample)).toBe(
      'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)',
    );
  });

  it('describes empty and multi-clip drafts', () => {
    expect(summarize(undefined)).toBe('Timeline (0 tracks): empty');
    const d: Draft = {
      t: [
        {
          tt: 0,
          sg: [
            { d: 1500, m: { src: '/a/b/x.mp4' } },
            { d: 2500, m: { src: '/a/b/y.mp4' } },
          ],
        },
      ],
    };
    expect(summarize(d)).toBe('Timeline (1 track): 1. Video: 2 clips (0-4s)');
  });
});

describe('placement and duration', () => {
  it('places video segments one after another and honours `at` and transitions', () => {
    const placed = placeSegments({
      tt: 0,
      sg: [
        { d: 3000 },
        { d: 2000, m: { transition: { type: 'fade', d: 500 } } },
        { d: 1000, m: { at: 10000 } },
      ],
    });
    expect(placed.map((p) => [p.start, p.end])).toEqual([
      [0, 3000],
      [2500, 4500],
      [10000, 11000],
    ]);
  });

  it('uses d when present, else the last segment end', () => {
    expect(draftDuration(vendorExample)).toBe(10000);
    expect(draftDuration({ t: [{ tt: 0, sg: [{ d: 1200 }, { d: 800 }] }] })).toBe(2000);
  });
});

describe('parseDraft', () => {
  it('keeps unknown keys so a draft can go back to render unchanged', () => {
    const raw = {
      t: [{ tt: 0, sg: [{ d: 1, m: { src: 'a', zz: 1 }, extra: [1, 2] }], q: 'x' }],
      custom: { a: 1 },
    };
    const parsed = parseDraft(raw);
    expect(parsed).toBeDefined();
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(raw));
  });

  it('rejects what is not draft-shaped', () => {
    expect(parseDraft({ t: 'nope' })).toBeUndefined();
    expect(parseDraft(null)).toBeUndefined();
  });
});

describe('diffDrafts', () => {
  it('reports added tracks, segment and duration changes', () => {
    const before: Draft = { t: [{ tt: 0, sg: [{ d: 10000 }] }] };
    const after: Draft = {
      t: [
        { tt: 0, sg: [{ d: 4000 }, { d: 3000 }] },
        { tt: 7, sg: [{ d: 3000, m: { text: 'Hi' } }] },
      ],
    };
    const changes = diffDrafts(before, after);
    expect(changes.map((c) => c.kind)).toEqual(['segments-changed', 'track-added', 'duration-changed']);
    expect(describeDiff(changes)).toBe(
      'track 1 (Video): 1 → 2 segments, 10s → 7s; added track 2 (Title, 1 segment, 3s); duration 10s → 7s',
    );
  });

  it('says so when nothing changed, and reports metadata changes by key', () => {
    expect(describeDiff(diffDrafts(vendorExample, structuredClone(vendorExample)))).toBe(
      'no visible change to the timeline',
    );
    const graded = structuredClone(vendorExample);
    graded.m = { ...graded.m, fx: { grade: 'warm' } };
    expect(describeDiff(diffDrafts(vendorExample, graded))).toBe('settings changed: fx');
  });

  it('reports removed tracks', () => {
    const after: Draft = { t: [vendorExample.t[0]!] };
    expect(diffDrafts(vendorExample, after).filter((c) => c.kind === 'track-removed')).toHaveLength(2);
  });
});

describe('export readiness', () => {
  it('needs at least one track with segments', () => {
    expect(isExportReady(vendorExample)).toBe(true);
    expect(isExportReady({ t: [{ tt: 0, sg: [] }] })).toBe(false);
    expect(isExportReady({})).toBe(false);
    expect(isExportReady(undefined)).toBe(false);
    expect(exportReadinessProblem(undefined)).toMatch(/no draft/);
    expect(exportReadinessProblem({ t: [] })).toMatch(/no segments/);
    expect(exportReadinessProblem(vendorExample)).toBeUndefined();
  });
});
