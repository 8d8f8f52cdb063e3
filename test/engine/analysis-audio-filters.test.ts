import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denoiseFilter, duckingGraph, rmsOverWindows } from '../../src/engine/analysis/audio-filters.js';
import { runFfmpeg } from '../../src/engine/analysis/run-ffmpeg.js';
import type { Interval } from '../../src/engine/analysis/silence.js';
import { ffmpeg, probeStreams, tempDir, toneExpression } from '../helpers/media.js';

const FFMPEG = 'ffmpeg';
/** The 2018 ffmpeg 4.1 of the npm fallback (installed by `npm ci` as an optional dependency). */
const FFMPEG_41 = resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
/** Keeps only the 2 kHz music tone: four highpasses at 1.2 kHz remove the 300 Hz voice tone (≈ −80 dB). */
const MUSIC_BAND = 'highpass=f=1200,highpass=f=1200,highpass=f=1200,highpass=f=1200';
const iv = (startMs: number, endMs: number): Interval => ({ startMs, endMs });

async function durationS(path: string): Promise<number> {
  return Number((await probeStreams(path)).format.duration);
}

describe('duckingGraph', () => {
  it('builds sidechaincompress + amix with normalize=0, or volume=2 where normalize is missing', () => {
    const g = duckingGraph({
      voiceLabel: '[0:a]',
      musicLabel: '1:a',
      outLabel: 'aout',
      musicVolume: 0.35,
      hasNormalize: true,
    });
    expect(g).toBe(
      '[1:a]volume=0.35,aformat=sample_rates=48000:channel_layouts=stereo[aout_music];' +
        '[0:a]aformat=sample_rates=48000:channel_layouts=stereo,asplit=2[aout_voice][aout_key];' +
        '[aout_music][aout_key]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=400[aout_ducked];' +
        '[aout_voice][aout_ducked]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[aout]',
    );
    const old = duckingGraph({
      voiceLabel: 'v',
      musicLabel: 'm',
      outLabel: '[mix]',
      musicVolume: 0.5,
      hasNormalize: false,
    });
    expect(old.endsWith('amix=inputs=2:duration=first:dropout_transition=0,volume=2[mix]')).toBe(true);
  });
});

describe('denoiseFilter', () => {
  it('uses afftdn when present, else band-limits (with anlmdn when present)', () => {
    expect(denoiseFilter(new Set(['afftdn', 'anlmdn']))).toBe('afftdn=nr=12:nf=-40:tn=1');
    expect(denoiseFilter(new Set(['anlmdn']))).toBe('highpass=f=80,lowpass=f=12000,anlmdn');
    expect(denoiseFilter(new Set())).toBe('highpass=f=80,lowpass=f=12000');
  });
});

describe('audio filters on generated media', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let voice: string;
  let noisy: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('nemo-audiofx-'));
    voice = join(dir, 'voice.wav');
    noisy = join(dir, 'noisy.wav');
    // "Voice": a 300 Hz tone on 0–2 s and 4–6 s, silent 2–4 s (6 s, mono 48 kHz).
    const gate = toneExpression(
      [
        [0, 2],
        [4, 6],
      ],
      300,
      0.5,
    );
    await ffmpeg(['-f', 'lavfi', '-i', `aevalsrc='${gate}':s=48000:d=6`, voice]);
    // A 440 Hz tone under white noise (3 s).
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=3', '-f', 'lavfi', '-i', 'anoisesrc=r=48000:a=0.02:d=3'],
      ...['-filter_complex', '[0:a][1:a]amix=inputs=2[a]', '-map', '[a]', noisy],
    ]);
  });
  afterAll(() => cleanup());

  it('rmsOverWindows measures known levels per window', async () => {
    const tone = join(dir, 'tone.wav');
    // Amplitude 0.125 (sine's default) → RMS 0.125/√2 → −21.07 dBFS; then 1 s of silence.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'sine=f=1000:r=48000:d=1', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono'],
      ...['-filter_complex', '[1:a]atrim=0:1[s];[0:a][s]concat=n=2:v=0:a=1[a]', '-map', '[a]', tone],
    ]);
    const [loud, quiet] = await rmsOverWindows(FFMPEG, tone, [iv(100, 900), iv(1100, 1900)]);
    expect(Math.abs((loud ?? 0) + 21.07)).toBeLessThan(0.2);
    expect(quiet).toBeLessThan(-80);
    const [single] = await rmsOverWindows(FFMPEG, tone, [iv(0, 500)], '0:a', { filter: 'volume=0.5' });
    expect(Math.abs((single ?? 0) + 27.09)).toBeLessThan(0.2);
    expect(await rmsOverWindows(FFMPEG, tone, [])).toEqual([]);
    // More windows than one run measures: 45 windows of 40 ms, tone for the first 25.
    const many = Array.from({ length: 45 }, (_, k) => iv(k * 40, k * 40 + 40));
    const levels = await rmsOverWindows(FFMPEG, tone, many);
    expect(levels).toHaveLength(45);
    levels.forEach((db, k) => {
      if (k < 25) expect(Math.abs(db + 21.07)).toBeLessThan(0.3);
      else expect(db).toBeLessThan(-80);
    });
  });

  for (const [name, bin, hasNormalize] of [
    ['ffmpeg 5.1, amix normalize=0', FFMPEG, true],
    ['npm ffmpeg 4.1, amix + volume=2', FFMPEG_41, false],
  ] as const) {
    it(`ducks the music while the voice sounds (${name})`, async () => {
      const out = join(dir, `ducked-${hasNormalize}.wav`);
      // The music is endless (like a -stream_loop -1 input): the mix must still end with the voice.
      const graph = duckingGraph({
        voiceLabel: '0:a',
        musicLabel: '1:a',
        outLabel: 'mix',
        musicVolume: 0.35,
        hasNormalize,
      });
      await runFfmpeg(bin, [
        '-y',
        ...['-i', voice, '-f', 'lavfi', '-i', 'sine=f=2000:r=44100'],
        ...['-filter_complex', graph, '-map', '[mix]', out],
      ]);
      expect(Math.abs((await durationS(out)) - 6)).toBeLessThan(0.1);
      const windows = [iv(600, 1800), iv(2700, 3800), iv(4600, 5800)];
      const [during1, gap, during2] = await rmsOverWindows(FFMPEG, out, windows, '0:a', {
        filter: MUSIC_BAND,
      });
      // Music alone in the gap, at unity gain after the mix: 0.125 × 0.35 → −30.2 dBFS RMS, −3 dB for the
      // mono → stereo upmix, −2.1 dB from the four highpasses at 2 kHz → −35.3 dBFS.
      expect(Math.abs((gap ?? 0) + 35.3)).toBeLessThan(1.5);
      expect(during1).toBeLessThan((gap ?? 0) - 6);
      expect(during2).toBeLessThan((gap ?? 0) - 6);
      // The voice passes at unity gain: 0.5/√2 → −9.0 dBFS, −3 dB for the upmix, −0.5 dB from the lowpasses.
      const [voiceLevel] = await rmsOverWindows(FFMPEG, out, [iv(600, 1800)], '0:a', {
        filter: 'lowpass=f=600,lowpass=f=600',
      });
      expect(Math.abs((voiceLevel ?? 0) + 12.5)).toBeLessThan(1);
    });
  }

  it('denoises: afftdn lowers the noise between the harmonics, the fallback lowers the noise above 12 kHz', async () => {
    const fft = join(dir, 'afftdn.wav');
    const band = join(dir, 'band.wav');
    await ffmpeg(['-i', noisy, '-af', denoiseFilter(new Set(['afftdn'])), fft]);
    await ffmpeg(['-i', noisy, '-af', denoiseFilter(new Set()), band]);
    const noiseBand = 'highpass=f=2000,highpass=f=2000';
    const window = [iv(1000, 2800)];
    const [before] = await rmsOverWindows(FFMPEG, noisy, window, '0:a', { filter: noiseBand });
    const [afterFft] = await rmsOverWindows(FFMPEG, fft, window, '0:a', { filter: noiseBand });
    expect(afterFft).toBeLessThan((before ?? 0) - 6);
    const high = 'highpass=f=14000,highpass=f=14000';
    const [highBefore] = await rmsOverWindows(FFMPEG, noisy, window, '0:a', { filter: high });
    const [highAfter] = await rmsOverWindows(FFMPEG, band, window, '0:a', { filter: high });
    expect(highAfter).toBeLessThan((highBefore ?? 0) - 6);
  });
});
