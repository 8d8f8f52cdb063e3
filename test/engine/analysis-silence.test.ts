import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectSilences,
  type Interval,
  keepIntervals,
  leadingSilenceMs,
  parseSilencedetect,
} from '../../src/engine/analysis/silence.js';
import { EngineAbortedError, FfmpegFailedError } from '../../src/engine/errors.js';
import { ffmpeg, makeClip, tempDir, toneExpression } from '../helpers/media.js';

const FFMPEG = 'ffmpeg';
/** The 2018 ffmpeg 4.1 of the npm fallback (installed by `npm ci` as an optional dependency). */
const FFMPEG_41 = resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
const iv = (startMs: number, endMs: number): Interval => ({ startMs, endMs });

describe('keepIntervals', () => {
  it('keeps everything when there is no silence', () => {
    expect(keepIntervals([], 5000)).toEqual([iv(0, 5000)]);
  });

  it('keeps nothing when everything is silent', () => {
    expect(keepIntervals([iv(0, 5000)], 5000)).toEqual([]);
    expect(keepIntervals([iv(0, 3000), iv(2500, 6000)], 5000)).toEqual([]);
  });

  it('pads kept parts by the margin and cuts the rest', () => {
    expect(keepIntervals([iv(2000, 3500), iv(5000, 7000)], 8000)).toEqual([
      iv(0, 2200),
      iv(3300, 5200),
      iv(6800, 8000),
    ]);
  });

  it('cuts silence at the start and at the end', () => {
    expect(keepIntervals([iv(0, 1000), iv(4000, 5000)], 5000)).toEqual([iv(800, 4200)]);
  });

  it('does not make a cut shorter than minCut, at the edges either', () => {
    // Leading silence of 350 ms: padded start 150 ms → a 150 ms cut is not worth making.
    expect(keepIntervals([iv(0, 350)], 3000)).toEqual([iv(0, 3000)]);
    // A 550 ms silence leaves a 150 ms gap after the margins: bridged.
    expect(keepIntervals([iv(1000, 1550)], 3000)).toEqual([iv(0, 3000)]);
    // A 650 ms silence leaves a 250 ms gap: cut.
    expect(keepIntervals([iv(1000, 1650)], 3000)).toEqual([iv(0, 1200), iv(1450, 3000)]);
    expect(keepIntervals([iv(1000, 1650)], 3000, { minCutMs: 300 })).toEqual([iv(0, 3000)]);
  });

  it('drops kept parts shorter than minClip', () => {
    // A 40 ms blip between two silences: padded it is 440 ms long, so zero margin shows the rule.
    const silences = [iv(0, 1000), iv(1040, 3000)];
    expect(keepIntervals(silences, 3000, { marginMs: 0 })).toEqual([]);
    expect(keepIntervals(silences, 3000, { marginMs: 0, minClipMs: 30 })).toEqual([iv(1000, 1040)]);
  });

  it('merges touching and overlapping silences and kept parts', () => {
    expect(keepIntervals([iv(1000, 2000), iv(2000, 3000), iv(2500, 2600)], 4000, { marginMs: 0 })).toEqual([
      iv(0, 1000),
      iv(3000, 4000),
    ]);
    // Kept parts that touch after padding become one.
    expect(keepIntervals([iv(1000, 1400)], 3000, { marginMs: 200, minCutMs: 0 })).toEqual([iv(0, 3000)]);
  });

  it('accepts unsorted silences and silences past the end', () => {
    expect(keepIntervals([iv(4000, 9000), iv(1000, 2000)], 5000, { marginMs: 0 })).toEqual([
      iv(0, 1000),
      iv(2000, 4000),
    ]);
  });

  it('snaps to the frame grid: starts up, ends down', () => {
    const keeps = keepIntervals([iv(1010, 2010)], 3000, { marginMs: 0, fps: 25 });
    expect(keeps).toEqual([iv(0, 1000), iv(2040, 3000)]);
    const ntsc = keepIntervals([iv(1000, 2000)], 3000, { marginMs: 0, fps: 30 });
    for (const k of ntsc) {
      expect(Math.abs((k.startMs * 30) / 1000 - Math.round((k.startMs * 30) / 1000))).toBeLessThan(1e-9);
      expect(Math.abs((k.endMs * 30) / 1000 - Math.round((k.endMs * 30) / 1000))).toBeLessThan(1e-9);
    }
    expect(ntsc.map((k) => Math.round((k.startMs * 30) / 1000))).toEqual([0, 60]);
    expect(ntsc.map((k) => Math.round((k.endMs * 30) / 1000))).toEqual([30, 90]);
  });

  it('drops a kept part that vanishes when snapped', () => {
    expect(
      keepIntervals([iv(0, 1010), iv(1030, 3000)], 3000, { marginMs: 0, minClipMs: 0, fps: 25 }),
    ).toEqual([]);
  });
});

describe('leadingSilenceMs', () => {
  it('is the end of a silence that starts the media', () => {
    expect(leadingSilenceMs([iv(3000, 4000), iv(0, 1200)])).toBe(1200);
    expect(leadingSilenceMs([iv(20, 900)])).toBe(900);
  });
  it('is 0 when the media starts with sound or has no silence', () => {
    expect(leadingSilenceMs([iv(500, 1200)])).toBe(0);
    expect(leadingSilenceMs([])).toBe(0);
  });
});

describe('parseSilencedetect', () => {
  const metadata = [
    'frame:0    pts:0       pts_time:0',
    'lavfi.silence_start=-0.00133',
    'frame:70   pts:71680   pts_time:1.49333',
    'lavfi.silence_end=1.5',
    'lavfi.silence_duration=1.5',
    'frame:190  pts:194560  pts_time:4.05333',
    'lavfi.silence_start=4.01067',
  ].join('\n');
  const header = '  Duration: 00:00:06.00, start: 0.000000, bitrate: 705 kb/s\n';

  it('closes a trailing silence at the end the log reports', () => {
    const log = `${header}[silencedetect @ 0x1] silence_end: 5.9 | silence_duration: 1.88933\n`;
    expect(parseSilencedetect(metadata, log)).toEqual([iv(0, 1500), iv(4010.67, 5900)]);
  });

  it('else at the given duration, else at the logged duration', () => {
    expect(parseSilencedetect(metadata, header, 5500)).toEqual([iv(0, 1500), iv(4010.67, 5500)]);
    expect(parseSilencedetect(metadata, header)).toEqual([iv(0, 1500), iv(4010.67, 6000)]);
    // A logged end from before the open silence does not close it.
    const earlier = `${header}[silencedetect @ 0x1] silence_end: 1.5 | silence_duration: 1.5\n`;
    expect(parseSilencedetect(metadata, earlier, 5000)).toEqual([iv(0, 1500), iv(4010.67, 5000)]);
  });

  it('drops an unclosed silence when no end is known', () => {
    expect(parseSilencedetect(metadata, '')).toEqual([iv(0, 1500)]);
  });
});

describe('detectSilences on generated media', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;
  let tail: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('nemo-silence-'));
    // Tone 0–2 s, silence 2–3.5 s, tone 3.5–5 s, silence 5–7 s, tone 7–8 s (0.5 ≈ −6 dBFS); 320×180 video.
    clip = await makeClip(join(dir, 'layout.mp4'), {
      durationS: 8,
      audio: [
        [0, 2],
        [3.5, 5],
        [7, 8],
      ],
    });
    // Silence 0–1 s, tone 1–2 s, silence to the end at 3 s.
    tail = join(dir, 'tail.wav');
    await ffmpeg(['-f', 'lavfi', '-i', `aevalsrc='${toneExpression([[1, 2]], 300, 0.4)}':s=48000:d=3`, tail]);
  });
  afterAll(() => cleanup());

  it('finds the known silences within ±50 ms and keeps the known parts within ±1 frame', async () => {
    const silences = await detectSilences(FFMPEG, clip, {});
    expect(silences).toHaveLength(2);
    const expected = [iv(2000, 3500), iv(5000, 7000)];
    silences.forEach((s, k) => {
      expect(Math.abs(s.startMs - (expected[k]?.startMs ?? 0))).toBeLessThanOrEqual(50);
      expect(Math.abs(s.endMs - (expected[k]?.endMs ?? 0))).toBeLessThanOrEqual(50);
    });
    const keeps = keepIntervals(silences, 8000, { fps: 30 });
    const wanted = [iv(0, 2200), iv(3300, 5200), iv(6800, 8000)];
    expect(keeps).toHaveLength(3);
    keeps.forEach((k, n) => {
      expect(Math.abs(k.startMs - (wanted[n]?.startMs ?? 0))).toBeLessThanOrEqual(1000 / 30 + 1e-6);
      expect(Math.abs(k.endMs - (wanted[n]?.endMs ?? 0))).toBeLessThanOrEqual(1000 / 30 + 1e-6);
    });
  });

  it('honours the threshold and the minimum silence length', async () => {
    // −3 dB: even the tone (0.5 ≈ −6 dBFS) counts as silent → one silence over everything.
    const all = await detectSilences(FFMPEG, clip, { thresholdDb: -3 });
    expect(all).toHaveLength(1);
    expect(all[0]?.startMs).toBeLessThanOrEqual(50);
    expect(all[0]?.endMs).toBeGreaterThanOrEqual(7950);
    // Silences shorter than 1.6 s are not reported: only the 2 s one.
    const long = await detectSilences(FFMPEG, clip, { minSilenceMs: 1600 });
    expect(long).toHaveLength(1);
    expect(Math.abs((long[0]?.startMs ?? 0) - 5000)).toBeLessThanOrEqual(50);
  });

  it('reports leading and trailing silence, closed at the end of the media', async () => {
    const silences = await detectSilences(FFMPEG, tail);
    expect(silences).toHaveLength(2);
    expect(leadingSilenceMs(silences)).toBeGreaterThan(950);
    expect(leadingSilenceMs(silences)).toBeLessThan(1050);
    expect(Math.abs((silences[1]?.startMs ?? 0) - 2000)).toBeLessThanOrEqual(50);
    expect(Math.abs((silences[1]?.endMs ?? 0) - 3000)).toBeLessThanOrEqual(50);
    const keeps = keepIntervals(silences, 3000, { fps: 25 });
    expect(keeps).toHaveLength(1);
    expect(Math.abs((keeps[0]?.startMs ?? 0) - 800)).toBeLessThanOrEqual(40);
    expect(Math.abs((keeps[0]?.endMs ?? 0) - 2200)).toBeLessThanOrEqual(40);
  });

  it('gives the same silences with the npm ffmpeg 4.1 fallback', async () => {
    for (const file of [clip, tail]) {
      const modern = await detectSilences(FFMPEG, file);
      const old = await detectSilences(FFMPEG_41, file);
      expect(old).toHaveLength(modern.length);
      old.forEach((s, k) => {
        expect(Math.abs(s.startMs - (modern[k]?.startMs ?? 0))).toBeLessThanOrEqual(25);
        expect(Math.abs(s.endMs - (modern[k]?.endMs ?? 0))).toBeLessThanOrEqual(25);
      });
    }
  });

  it('rejects with the engine errors when the file is missing, and when aborted', async () => {
    await expect(detectSilences(FFMPEG, join(dir, 'missing.wav'))).rejects.toBeInstanceOf(FfmpegFailedError);
    const ac = new AbortController();
    ac.abort();
    await expect(detectSilences(FFMPEG, clip, { signal: ac.signal })).rejects.toBeInstanceOf(
      EngineAbortedError,
    );
  });
});
