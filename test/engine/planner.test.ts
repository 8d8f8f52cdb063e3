import { describe, expect, it } from 'vitest';
import { planInstruction, SUPPORTED_OPERATIONS } from '../../src/engine/planner.js';
import type { EditOp } from '../../src/engine/types.js';

const ops = (text: string): EditOp[] => {
  const plan = planInstruction(text);
  expect(plan.unknown).toEqual([]);
  return plan.ops;
};

describe('planInstruction: phrasing → ops', () => {
  it.each<[string, EditOp[]]>([
    ['trim silences', [{ op: 'trimSilence' }]],
    ['remove the pauses', [{ op: 'trimSilence' }]],
    ['aggressively cut silences', [{ op: 'trimSilence', thresholdDb: -25, marginMs: 100 }]],
    ['gently trim silence', [{ op: 'trimSilence', thresholdDb: -35, marginMs: 300, minCutMs: 800 }]],
    ['cut the first 5 seconds', [{ op: 'cutStart', ms: 5000 }]],
    ['trim the first 2.5s', [{ op: 'cutStart', ms: 2500 }]],
    ['cut the last 3 seconds', [{ op: 'cutEnd', ms: 3000 }]],
    ['remove 1 minute from the end', [{ op: 'cutEnd', ms: 60000 }]],
    ['trim the intro', [{ op: 'trimIntro' }]],
    ['trim the first 4 seconds of the intro', [{ op: 'trimIntro', ms: 4000 }]],
    ['keep 0:10-0:25', [{ op: 'keepRange', fromMs: 10000, toMs: 25000 }]],
    ['keep from 2s to 4.5s', [{ op: 'keepRange', fromMs: 2000, toMs: 4500 }]],
    ['from 0:10 to 0:20', [{ op: 'keepRange', fromMs: 10000, toMs: 20000 }]],
    ['cut 0:05-0:08', [{ op: 'cutRange', fromMs: 5000, toMs: 8000 }]],
    ['remove from 5s to 8s', [{ op: 'cutRange', fromMs: 5000, toMs: 8000 }]],
    ['trim to 30s', [{ op: 'trimTo', ms: 30000 }]],
    ['trim it down to 1:30', [{ op: 'trimTo', ms: 90000 }]],
    ['speed up 1.5x', [{ op: 'speed', factor: 1.5 }]],
    ['2x speed', [{ op: 'speed', factor: 2 }]],
    ['slow down to 0.5x', [{ op: 'speed', factor: 0.5 }]],
    ['slow it down 2x', [{ op: 'speed', factor: 0.5 }]],
    ['mute', [{ op: 'mute' }]],
    ['remove the audio', [{ op: 'mute' }]],
    ['add background music song.mp3', [{ op: 'music', duck: true, path: 'song.mp3' }]],
    ["add music 'my song.wav' at 20%", [{ op: 'music', duck: true, path: 'my song.wav', volume: 0.2 }]],
    ['add background music', [{ op: 'music', duck: true }]],
    ['normalize audio', [{ op: 'loudnorm', lufs: -14 }]],
    ['normalize loudness for podcast', [{ op: 'loudnorm', lufs: -16 }]],
    ['normalize to -23 LUFS', [{ op: 'loudnorm', lufs: -23 }]],
    ['denoise the audio', [{ op: 'denoise' }]],
    ['reduce background noise', [{ op: 'denoise' }]],
    ['make it warm', [{ op: 'grade', look: 'warm' }]],
    ['cool color grade', [{ op: 'grade', look: 'cool' }]],
    ['cinematic look', [{ op: 'grade', look: 'cinematic' }]],
    ['teal and orange grade', [{ op: 'grade', look: 'cinematic' }]],
    ['vintage', [{ op: 'grade', look: 'vintage' }]],
    ['make it black and white', [{ op: 'grade', look: 'bw' }]],
    ['b&w', [{ op: 'grade', look: 'bw' }]],
    ['monochrome', [{ op: 'grade', look: 'bw' }]],
    ['vivid colors', [{ op: 'grade', look: 'vivid' }]],
    ['apply the LUT grades/film.cube', [{ op: 'grade', look: 'lut', lut: 'grades/film.cube' }]],
    ["add title 'Urban Dreams'", [{ op: 'title', text: 'Urban Dreams', style: 'title' }]],
    ['add a title "Hello"', [{ op: 'title', text: 'Hello', style: 'title' }]],
    [
      'add title “Curly” at 2s for 4 seconds',
      [{ op: 'title', text: 'Curly', style: 'title', atMs: 2000, durationMs: 4000 }],
    ],
    ["lower third 'Jane Doe'", [{ op: 'title', text: 'Jane Doe', style: 'lower-third' }]],
    ['add captions', [{ op: 'captions' }]],
    ['add subtitles from talk.srt', [{ op: 'captions', path: 'talk.srt' }]],
    ['add crossfade transitions', [{ op: 'transition' }]],
    ['add 1 second dissolve transitions', [{ op: 'transition', type: 'dissolve', ms: 1000 }]],
    ['join the clips', [{ op: 'concat' }]],
    ['concatenate', [{ op: 'concat' }]],
    ['export for TikTok', [{ op: 'preset', name: 'tiktok' }]],
    ['export for TikTok with crop', [{ op: 'preset', name: 'tiktok', fit: 'crop' }]],
    ['export for YouTube Shorts', [{ op: 'preset', name: 'tiktok' }]],
    ['export for YouTube', [{ op: 'preset', name: 'youtube' }]],
    ['instagram square', [{ op: 'preset', name: 'square' }]],
    ['instagram 4:5', [{ op: 'preset', name: 'portrait45' }]],
    ['export in 4K', [{ op: 'preset', name: '4k' }]],
    ['enhance', [{ op: 'enhance' }]],
    ['upscale 2x', [{ op: 'enhance', scale: 2 }]],
    ['stabilize', [{ op: 'stabilize' }]],
    ['export as a gif', [{ op: 'format', format: 'gif' }]],
    ['export as webm', [{ op: 'format', format: 'webm' }]],
    [
      'export for tiktok as mov',
      [
        { op: 'preset', name: 'tiktok' },
        { op: 'format', format: 'mov' },
      ],
    ],
    ['export', [{ op: 'export' }]],
  ])('%s', (text, expected) => {
    expect(ops(text)).toEqual(expected);
  });
});

describe('planInstruction: clauses', () => {
  it('splits on commas, semicolons, "and", "then" and keeps the order', () => {
    const plan = planInstruction(
      "trim silences, add title 'Hello'; normalize audio and then export for TikTok",
    );
    expect(plan.clauses.map((c) => c.text)).toEqual([
      'trim silences',
      "add title 'Hello'",
      'normalize audio',
      'export for TikTok',
    ]);
    expect(plan.ops.map((o) => o.op)).toEqual(['trimSilence', 'title', 'loudnorm', 'preset']);
  });

  it('never splits quoted text, and keywords inside quotes do not match', () => {
    const plan = planInstruction("add title 'A, and B; then trim silences' and mute");
    expect(plan.ops).toEqual([
      { op: 'title', text: 'A, and B; then trim silences', style: 'title' },
      { op: 'mute' },
    ]);
  });

  it('keeps quotes nested in other quotes as text', () => {
    expect(ops('add title “Say "hi", then go”')).toEqual([
      { op: 'title', text: 'Say "hi", then go', style: 'title' },
    ]);
  });

  it('keeps apostrophes inside words ("it\'s") out of quoting', () => {
    expect(planInstruction("it's too long, trim to 10s").ops).toEqual([{ op: 'trimTo', ms: 10000 }]);
  });

  it('reports unknown clauses verbatim, next to the understood ones', () => {
    const plan = planInstruction('trim silences, do a backflip, add fireworks');
    expect(plan.unknown).toEqual(['do a backflip', 'add fireworks']);
    expect(plan.ops).toEqual([{ op: 'trimSilence' }]);
    expect(plan.clauses[1]).toEqual({ text: 'do a backflip', ops: [] });
  });

  it('understands Chinese keywords and separators', () => {
    const plan = planInstruction('剪掉静音，加字幕，加标题「你好」，然后导出');
    expect(plan.unknown).toEqual([]);
    expect(plan.ops).toEqual([
      { op: 'trimSilence' },
      { op: 'captions' },
      { op: 'title', text: '你好', style: 'title' },
      { op: 'export' },
    ]);
    expect(ops('去掉静音、静音并且标准化音量')).toEqual([
      { op: 'trimSilence' },
      { op: 'mute' },
      { op: 'loudnorm', lufs: -14 },
    ]);
    expect(ops('加背景音乐 bgm.mp3')).toEqual([{ op: 'music', duck: true, path: 'bgm.mp3' }]);
    expect(ops('响度标准化')).toEqual([{ op: 'loudnorm', lufs: -14 }]);
  });

  it('is deterministic', () => {
    const text = 'trim silences, 2x speed, add title "X", export as webm';
    expect(planInstruction(text)).toEqual(planInstruction(text));
  });

  it('lists human examples of what it supports', () => {
    expect(SUPPORTED_OPERATIONS.length).toBeGreaterThan(10);
    expect(SUPPORTED_OPERATIONS.join('\n')).toMatch(/trim silences/);
  });
});
