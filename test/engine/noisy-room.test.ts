import path, { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adaptiveThreshold,
  type LevelProfile,
  measureLevels,
  noiseProfile,
  pausesFromLevels,
} from '../../src/engine/analysis/noise-floor.js';
import { detectPauses, detectSilences, keepIntervals } from '../../src/engine/analysis/silence.js';
import { localEdit } from '../../src/engine/index.js';
import { probeStreams, streamDurations, tempDir } from '../helpers/media.js';
import { makeMusic, makeSpeechClip, type SpeechClip, scoreCuts } from '../helpers/speech-media.js';

// Four utterances, pauses of 0.8–1.5 s: about 11 s of audio. Noise levels are pink noise RMS, measured.
const PHRASES = [
  'Welcome to the show.',
  'Today we edit videos on our own computer.',
  'Cut the pauses, keep the words.',
  'Thanks for watching.',
];
const PAUSES_S = [0.8, 1.2, 0.7, 1.5, 0.8];
const FPS = 30;

let dir: string;
let cleanup: () => Promise<void>;
const clips = new Map<string, SpeechClip>();
let music: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-noisy-room-'));
  for (const [label, noiseDb] of [
    ['clean', undefined],
    ['-45', -45],
    ['-33', -33],
  ] as const) {
    clips.set(
      label,
      await makeSpeechClip(dir, `speech${label}.wav`, { phrases: PHRASES, pausesS: PAUSES_S, noiseDb }),
    );
  }
  music = await makeMusic(path.join(dir, 'music.wav'), 6);
}, 300_000);
afterAll(() => cleanup());

async function score(label: string, method: 'speech-aware' | 'fixed') {
  const clip = clips.get(label)!;
  const silences =
    method === 'fixed'
      ? await detectSilences('ffmpeg', clip.file)
      : (await detectPauses('ffmpeg', clip.file)).silences;
  const keeps = keepIntervals(silences, clip.audioMs, { fps: FPS });
  return { keeps, ...scoreCuts(clip, keeps) };
}

describe('speech-aware pause detection (generated espeak-ng speech, pink noise at known levels)', () => {
  it('clean audio: the fixed method as before — every word kept, ≥ 99 % of the removable silence removed', async () => {
    const clip = clips.get('clean')!;
    const detection = await detectPauses('ffmpeg', clip.file);
    expect(detection.method).toBe('fixed');
    // Exactly today's silencedetect result.
    expect(detection.silences).toEqual(await detectSilences('ffmpeg', clip.file));
    const s = await score('clean', 'speech-aware');
    expect(s.clipped).toBe(0);
    expect(s.speechKeptPct).toBe(100);
    expect(s.removedPct).toBeGreaterThanOrEqual(99);
    // Frame-exact: every cut lands on the 30 fps grid.
    for (const k of s.keeps) {
      for (const ms of [k.startMs, k.endMs])
        expect(Math.abs((ms * FPS) / 1000 - Math.round((ms * FPS) / 1000))).toBeLessThan(1e-9);
    }
  });

  it('−45 dBFS room noise: every word kept, ≥ 95 % of the removable pause time removed', async () => {
    const s = await score('-45', 'speech-aware');
    expect(s.clipped).toBe(0);
    expect(s.speechKeptPct).toBe(100);
    expect(s.removedPct).toBeGreaterThanOrEqual(95);
  });

  it('−33 dBFS room noise: the fixed −28 dB threshold finds no pause; the noise floor does (≥ 90 % removed, no word clipped)', async () => {
    const fixed = await score('-33', 'fixed');
    // The failure this fixes: the noise's peaks cross −28 dBFS everywhere, so nothing is cut.
    expect(fixed.removedPct).toBeLessThan(10);
    const detection = await detectPauses('ffmpeg', clips.get('-33')!.file);
    expect(detection.method).toBe('adaptive');
    expect(detection.noise.floorDb).toBeGreaterThan(-40);
    expect(detection.noise.floorDb).toBeLessThan(-30);
    const s = await score('-33', 'speech-aware');
    expect(s.clipped).toBe(0);
    expect(s.speechKeptPct).toBe(100);
    expect(s.removedPct).toBeGreaterThanOrEqual(90);
    expect(s.keeps).toHaveLength(PHRASES.length);
  });

  it('music without pauses: no steady noise floor, nothing cut', async () => {
    const levels = await measureLevels('ffmpeg', music);
    expect(adaptiveThreshold(noiseProfile(levels.levels)).thresholdDb).toBeUndefined();
    const detection = await detectPauses('ffmpeg', music);
    expect(detection.method).toBe('fixed');
    expect(keepIntervals(detection.silences, 6000)).toEqual([{ startMs: 0, endMs: 6000 }]);
  });
});

describe('"trim silences" in a noisy room, measured on the output', () => {
  it('cuts the pauses of a −33 dBFS recording on frame boundaries and keeps every word', async () => {
    const clip = await makeSpeechClip(dir, 'noisy.mp4', {
      phrases: PHRASES.slice(0, 3),
      pausesS: [0.8, 1.2, 0.9, 0.8],
      noiseDb: -33,
      video: true,
    });
    const out = path.join(dir, 'noisy-cut.mp4');
    const result = await localEdit({ files: [clip.file], instruction: 'trim silences', outPath: out });
    const keeps = result.draft.t[0]!.sg.map((s) => ({ startMs: s.m!.in!, endMs: s.m!.in! + s.d }));
    expect(keeps).toHaveLength(3);
    const s = scoreCuts(clip, keeps);
    expect(s.clipped).toBe(0);
    expect(s.removedPct).toBeGreaterThanOrEqual(90);
    for (const k of keeps) {
      for (const ms of [k.startMs, k.endMs])
        expect(Math.abs((ms * FPS) / 1000 - Math.round((ms * FPS) / 1000))).toBeLessThan(1e-3);
    }
    expect(result.notes[0]).toMatch(/^cut 4 silences, /);
    const d = await streamDurations(out);
    const keptS = keeps.reduce((n, k) => n + k.endMs - k.startMs, 0) / 1000;
    expect(Math.abs(d.video! - keptS)).toBeLessThanOrEqual(1 / FPS + 0.001);
    const { streams } = await probeStreams(out);
    expect(Number(streams.find((x) => x.codec_type === 'video')!.nb_frames)).toBe(Math.round(keptS * FPS));
  }, 180_000);
});

describe('noise-floor rules (pure)', () => {
  const profile = (levels: number[]): LevelProfile => ({
    frameMs: 10,
    levels,
    audioStartMs: 0,
    audioEndMs: levels.length * 10,
  });
  const run = (db: number, frames: number): number[] => Array(frames).fill(db);

  it('hysteresis: speech starts 2 dB over the threshold and ends 2 dB under it', () => {
    // −30 floor, then −21 (over −25+2): sound; −26 (inside the band): still sound; −28: pause again.
    const levels = [...run(-30, 30), ...run(-21, 10), ...run(-26, 10), ...run(-28, 30)];
    expect(pausesFromLevels(profile(levels), -25)).toEqual([
      { startMs: 0, endMs: 300 },
      { startMs: 500, endMs: 800 },
    ]);
    // A level inside the band never starts speech.
    expect(pausesFromLevels(profile([...run(-30, 30), ...run(-24, 10), ...run(-30, 30)]), -25)).toEqual([
      { startMs: 0, endMs: 700 },
    ]);
  });

  it('drops bursts under 30 ms and pauses under 200 ms', () => {
    const click = [...run(-40, 30), ...run(-10, 2), ...run(-40, 30)];
    expect(pausesFromLevels(profile(click), -25)).toEqual([{ startMs: 0, endMs: 620 }]);
    const shortPause = [...run(-10, 30), ...run(-40, 15), ...run(-10, 30)];
    expect(pausesFromLevels(profile(shortPause), -25)).toEqual([]);
  });

  it('finds no threshold without a steady floor, contrast, or a finite floor', () => {
    const speechAndFloor = [...run(-35, 40), ...run(-15, 60)];
    expect(adaptiveThreshold(noiseProfile(speechAndFloor)).thresholdDb).toBe(-25);
    expect(adaptiveThreshold(noiseProfile([...run(-22, 40), ...run(-15, 60)])).reason).toMatch(
      /only 7\.0 dB/,
    );
    const ramp = Array.from({ length: 100 }, (_, k) => -60 + k * 0.5);
    expect(adaptiveThreshold(noiseProfile(ramp)).reason).toMatch(/not a steady noise floor/);
    expect(adaptiveThreshold(noiseProfile([...run(-Infinity, 40), ...run(-15, 60)])).reason).toMatch(
      /digital silence/,
    );
  });
});

describe('speech-aware detection on the npm ffmpeg 4.1 fallback', () => {
  it('finds the same pauses in the −33 dBFS recording (±20 ms)', async () => {
    const file = clips.get('-33')!.file;
    const modern = await detectPauses('ffmpeg', file);
    const old = await detectPauses(resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg'), file);
    expect(old.method).toBe('adaptive');
    expect(old.silences).toHaveLength(modern.silences.length);
    old.silences.forEach((s, k) => {
      expect(Math.abs(s.startMs - modern.silences[k]!.startMs)).toBeLessThanOrEqual(20);
      expect(Math.abs(s.endMs - modern.silences[k]!.endMs)).toBeLessThanOrEqual(20);
    });
  });
});
