import { describe, expect, it } from 'vitest';
import { planInstruction, SUPPORTED_GROUPS } from '../../src/engine/planner.js';
import type { EditOp } from '../../src/engine/types.js';

const ops = (text: string): EditOp[] => {
  const plan = planInstruction(text);
  expect(plan.refused).toEqual([]);
  return plan.ops;
};

const refusal = (text: string) => {
  const plan = planInstruction(text);
  expect(plan.refused.length).toBeGreaterThan(0);
  return plan.refused[0]!;
};

describe('planner: the misreads of issue 13 are read right or refused', () => {
  it('"make the title bigger" is not a new title "bigger": there is no title, and it says so', () => {
    const r = refusal('make the title bigger');
    expect(r.reason).toMatch(/there is no title/);
    expect(planInstruction('make the title bigger').ops).toEqual([]);
  });

  it('"make the title bigger" after adding one says titles cannot be resized yet', () => {
    const plan = planInstruction("add title 'Hi' and make the title bigger");
    expect(plan.refused).toHaveLength(1);
    expect(plan.refused[0]!.reason).toMatch(/cannot be changed/);
  });

  it('"make it punchy for Instagram" keeps the Instagram preset next to the grade', () => {
    expect(ops('make it punchy for Instagram')).toEqual([
      { op: 'grade', look: 'vivid' },
      { op: 'preset', name: 'square' },
    ]);
  });

  it.each(['speed up the boring parts', 'cut the boring parts'])(
    '"%s" is refused, suggesting silences',
    (text) => {
      const r = refusal(text);
      expect(r.reason).toMatch(/boring/);
      expect(r.reason).toMatch(/trim silences/);
      expect(r.reason).toMatch(/speed up silences/);
      expect(planInstruction(text).ops).toEqual([]);
    },
  );

  it('"translate captions" is refused, not plain captions', () => {
    expect(refusal('translate captions').reason).toMatch(/cannot translate/);
    expect(planInstruction('translate captions').ops).toEqual([]);
  });

  it('"remove the ums" is refused: filler words need speech recognition', () => {
    expect(refusal('remove the ums').reason).toMatch(/filler words/);
  });

  it('"cut the first 2 seconds and the last 2 seconds" cuts both ends', () => {
    const plan = planInstruction('cut the first 2 seconds and the last 2 seconds');
    expect(plan.refused).toEqual([]);
    expect(plan.clauses[1]).toMatchObject({ text: 'the last 2 seconds', readAs: 'cut the last 2 seconds' });
    expect(plan.ops).toEqual([{ op: 'ranges', keep: [], cut: [], firstMs: 2000, lastMs: 2000 }]);
  });

  it('"add a fade in and fade out" fades picture and sound at both ends', () => {
    expect(ops('add a fade in and fade out')).toEqual([
      { op: 'fade', picture: true, sound: true, inMs: 1000, outMs: 1000 },
    ]);
  });
});

describe('planner: every word is accounted for', () => {
  it('names the words it did not read, and plans nothing from that clause', () => {
    const r = refusal('speed up the intro');
    expect(r.words).toEqual(['intro']);
    expect(r.reason).toMatch(/"intro"/);
  });

  it('a modifier it cannot do is named, not dropped ("lo-fi" music)', () => {
    expect(refusal('add lo-fi music').words).toEqual(['lo-fi']);
  });

  it('"remove the captions" is not "add captions"', () => {
    expect(refusal('remove the captions').reason).toMatch(/no captions/);
    expect(refusal('remove captions').words).toContain('remove');
  });

  it('a time unit is read whole ("2 seconds", "500ms")', () => {
    expect(ops('trim to 500ms')).toEqual([{ op: 'trimTo', ms: 500 }]);
    expect(ops('cut the first 2 seconds')).toEqual([{ op: 'cutStart', ms: 2000 }]);
  });

  it('two looks in one edit are refused rather than one silently replacing the other', () => {
    expect(refusal('make it warm and vintage').reason).toMatch(/only one colour grade/);
    expect(refusal('warm vintage look').words).toEqual(['warm']);
  });

  it('a clause of times only borrows the previous verb, and only then', () => {
    expect(refusal('the first 2 s').words).toEqual(['first', '2', 's']);
    const plan = planInstruction('mute 0:05-0:08 and 0:20-0:25');
    expect(plan.refused).toEqual([]);
    expect(plan.ops).toEqual([
      { op: 'volume', gain: 0, fromMs: 5000, toMs: 8000 },
      { op: 'volume', gain: 0, fromMs: 20000, toMs: 25000 },
    ]);
  });

  it('a backwards range is refused', () => {
    expect(refusal('cut 0:08-0:05').reason).toMatch(/ends before it starts/);
  });
});

describe('planner: compound and common requests', () => {
  it.each<[string, EditOp[]]>([
    [
      'cut 0:05-0:08 and 0:20-0:25',
      [
        {
          op: 'ranges',
          keep: [],
          cut: [
            { fromMs: 5000, toMs: 8000 },
            { fromMs: 20000, toMs: 25000 },
          ],
        },
      ],
    ],
    [
      'cut 0:05-0:08, 0:20-0:25',
      [
        {
          op: 'ranges',
          keep: [],
          cut: [
            { fromMs: 5000, toMs: 8000 },
            { fromMs: 20000, toMs: 25000 },
          ],
        },
      ],
    ],
    [
      'keep 0:10-0:20 and 0:30-0:40',
      [
        {
          op: 'ranges',
          keep: [
            { fromMs: 10000, toMs: 20000 },
            { fromMs: 30000, toMs: 40000 },
          ],
          cut: [],
        },
      ],
    ],
    ['cut the first and last 2 seconds', [{ op: 'ranges', keep: [], cut: [], firstMs: 2000, lastMs: 2000 }]],
    ['cut between 0:05 and 0:08', [{ op: 'cutRange', fromMs: 5000, toMs: 8000 }]],
    ['fade in', [{ op: 'fade', picture: true, sound: true, inMs: 1000 }]],
    ['fade out over 2 seconds', [{ op: 'fade', picture: true, sound: true, outMs: 2000 }]],
    ['fade the audio out', [{ op: 'fade', picture: false, sound: true, outMs: 1000 }]],
    ['turn the volume up', [{ op: 'volume', gain: 1.995 }]],
    ['volume down 6 dB', [{ op: 'volume', gain: 0.501 }]],
    ['volume to 50%', [{ op: 'volume', gain: 0.5 }]],
    ['mute 0:05-0:08', [{ op: 'volume', gain: 0, fromMs: 5000, toMs: 8000 }]],
    ['mute the last 2 seconds', [{ op: 'volume', gain: 0, lastMs: 2000 }]],
    ['rotate 90 degrees', [{ op: 'rotate', degrees: 90 }]],
    ['rotate 90 counterclockwise', [{ op: 'rotate', degrees: 270 }]],
    ['turn it upside down', [{ op: 'rotate', degrees: 180 }]],
    ['flip it', [{ op: 'flip', axis: 'horizontal' }]],
    ['flip vertically', [{ op: 'flip', axis: 'vertical' }]],
    ['crop to 9:16', [{ op: 'crop', aspect: [9, 16] }]],
    ['crop it square', [{ op: 'crop', aspect: [1, 1] }]],
    ['crop to 4:5', [{ op: 'crop', aspect: [4, 5] }]],
    ['add logo brand.png top right', [{ op: 'logo', path: 'brand.png', position: 'top-right' }]],
    ['add a watermark "my logo.png"', [{ op: 'logo', path: 'my logo.png', position: 'bottom-right' }]],
    ['make it fit Shorts', [{ op: 'fit', maxMs: 60000, platform: 'YouTube Shorts' }]],
    ['make it fit in 30 seconds', [{ op: 'fit', maxMs: 30000 }]],
    ['speed up silences', [{ op: 'speedSilence', factor: 4 }]],
    ['speed up the pauses 8x', [{ op: 'speedSilence', factor: 8 }]],
    ['trim the silence at the start', [{ op: 'trimIntro' }]],
    ['trim the end by 3 seconds', [{ op: 'cutEnd', ms: 3000 }]],
    ['export for YouTube Shorts', [{ op: 'preset', name: 'tiktok' }]],
    ['instagram reels with crop', [{ op: 'preset', name: 'tiktok', fit: 'crop' }]],
  ])('%s', (text, expected) => {
    expect(ops(text)).toEqual(expected);
  });

  it('refuses what it cannot do with a reason (logo without a file, crop without a shape, 45°)', () => {
    expect(refusal('add a logo').reason).toMatch(/image file/);
    expect(refusal('crop it').reason).toMatch(/which shape/);
    expect(refusal('rotate 45 degrees').reason).toMatch(/quarter turns/);
    expect(refusal('make it shorter').reason).toMatch(/say how/);
  });

  it('groups what it supports for the error', () => {
    expect(SUPPORTED_GROUPS.map((g) => g.group)).toEqual([
      'cuts',
      'picture',
      'sound',
      'text',
      'clips',
      'export',
    ]);
  });
});
