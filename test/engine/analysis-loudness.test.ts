import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoudnormMeasurement,
  loudnormFilter,
  measureIntegratedLufs,
  measureLoudness,
  parseEbur128Summary,
} from '../../src/engine/analysis/loudness.js';
import { runFfmpeg } from '../../src/engine/analysis/run-ffmpeg.js';
import { ffmpeg, makeClip, probeStreams, tempDir } from '../helpers/media.js';

const FFMPEG = 'ffmpeg';
const TARGET = { i: -14, tp: -1.5, lra: 11 };
/** The 2018 ffmpeg 4.1 of the npm fallback (installed by `npm ci` as an optional dependency). */
const FFMPEG_41 = resolve('node_modules/@ffmpeg-installer/linux-x64/ffmpeg');

async function sampleRate(path: string): Promise<number> {
  const { streams } = await probeStreams(path);
  return Number(streams.find((s) => s.codec_type === 'audio')?.sample_rate);
}

describe('loudnormFilter', () => {
  const measured: LoudnormMeasurement = {
    inputI: -30.2,
    inputTp: -20.1,
    inputLra: 3.4,
    inputThresh: -40.5,
    targetOffset: 0.3,
    normalizationType: 'linear',
  };
  it('is a plain volume gain when loudnorm would normalize linearly (target I − measured I), at 48 kHz', () => {
    // −14 − (−30.2) = +16.2 dB; true peak −20.1 + 16.2 = −3.9 ≤ −1.5 and LRA 3.4 ≤ 11: linear.
    expect(loudnormFilter(TARGET, measured)).toBe('volume=16.2dB,aformat=sample_rates=48000');
  });
  it('is loudnorm with the measured values when the gain would push the true peak or the LRA over the target', () => {
    const loudPeak = { ...measured, inputTp: -3 };
    expect(loudnormFilter(TARGET, loudPeak)).toBe(
      'loudnorm=I=-14:TP=-1.5:LRA=11:measured_I=-30.2:measured_TP=-3:measured_LRA=3.4:' +
        'measured_thresh=-40.5:offset=0.3:linear=true,aformat=sample_rates=48000',
    );
    expect(loudnormFilter(TARGET, { ...measured, inputLra: 12 })).toMatch(/^loudnorm=.*measured_LRA=12:/);
  });
  it('is single-pass dynamic without a measurement or with an unmeasurable (silent) one', () => {
    expect(loudnormFilter(TARGET)).toBe('loudnorm=I=-14:TP=-1.5:LRA=11,aformat=sample_rates=48000');
    const silent = { ...measured, inputI: Number.NEGATIVE_INFINITY, inputTp: Number.NEGATIVE_INFINITY };
    expect(loudnormFilter(TARGET, silent)).toBe('loudnorm=I=-14:TP=-1.5:LRA=11,aformat=sample_rates=48000');
  });
  it('clamps values to the ranges loudnorm accepts', () => {
    const extreme = { ...measured, inputI: -120, inputThresh: -130, inputLra: 150 };
    expect(loudnormFilter(TARGET, extreme)).toContain('measured_I=-99:measured_TP=-20.1:measured_LRA=99:');
    expect(loudnormFilter(TARGET, extreme)).toContain('measured_thresh=-99:');
  });
});

describe('parseEbur128Summary', () => {
  const summary = (i: string, thresh: string, lra: string, peak: string): string =>
    `[Parsed_ebur128_2 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         ${i} LUFS\n` +
    `    Threshold: ${thresh} LUFS\n\n  Loudness range:\n    LRA:         ${lra} LU\n` +
    `    Threshold: -50.9 LUFS\n    LRA low:   -31.3 LUFS\n    LRA high:  -30.5 LUFS\n\n` +
    `  True peak:\n    Peak:      ${peak} dBFS\n`;
  it('reads the last summary (ffmpeg may print an empty one first)', () => {
    const m = parseEbur128Summary(
      `${summary('-70.0', '0.0', '0.0', '-inf')}\n${summary('-30.7', '-40.9', '0.7', '-28.0')}`,
    );
    expect(m).toEqual({ i: -30.7, threshold: -40.9, lra: 0.7, truePeak: -28 });
  });
  it('reports silence (ebur128 gives −70 LUFS and a −inf peak) as -Infinity', () => {
    const m = parseEbur128Summary(summary('-70.0', '0.0', '0.0', '-inf'));
    expect(m.i).toBe(Number.NEGATIVE_INFINITY);
    expect(m.truePeak).toBe(Number.NEGATIVE_INFINITY);
  });
  it('throws when there is no summary', () => {
    expect(() => parseEbur128Summary('no summary here')).toThrow(/no summary/);
  });
});

describe('two-pass loudnorm on generated media', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let quiet: string;
  let clip: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('nemo-loudness-'));
    quiet = join(dir, 'quiet.wav');
    // A quiet warbling tone around −30 LUFS, 44.1 kHz stereo, 6 s.
    const tone =
      "aevalsrc='0.04*sin(2*PI*(500+200*sin(2*PI*0.5*t))*t)*(0.6+0.4*sin(2*PI*0.7*t))':s=44100:c=stereo:d=6";
    await ffmpeg(['-f', 'lavfi', '-i', tone, quiet]);
    clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 4, amplitude: 0.1 });
  });
  afterAll(() => cleanup());

  it('measures, normalizes to −14 LUFS ±1 LU at 48 kHz, and re-measures with ebur128', async () => {
    const before = await measureIntegratedLufs(FFMPEG, quiet);
    expect(before).toBeLessThan(-25);
    const m = await measureLoudness(FFMPEG, {
      inputs: ['-i', quiet],
      graph: '',
      audioLabel: '0:a',
      target: TARGET,
    });
    expect(Math.abs(m.inputI - before)).toBeLessThan(1);
    expect(m.inputTp).toBeLessThan(0);
    // +16 dB of gain keeps the quiet tone's true peak under −1.5 dBTP: pass 2 can be linear.
    expect(m.normalizationType).toBe('linear');
    expect(m.targetOffset).toBe(0);

    const out = join(dir, 'normalized.m4a');
    await ffmpeg(['-i', quiet, '-af', loudnormFilter(TARGET, m), out]);
    const after = await measureIntegratedLufs(FFMPEG, out);
    expect(Math.abs(after - TARGET.i)).toBeLessThanOrEqual(1);
    expect(await sampleRate(out)).toBe(48000);
  });

  it('the volume gain gives the loudness linear loudnorm gives with the same measurement', async () => {
    const m = await measureLoudness(FFMPEG, {
      inputs: ['-i', quiet],
      graph: '',
      audioLabel: '0:a',
      target: TARGET,
    });
    const pass2 = loudnormFilter(TARGET, m);
    expect(pass2).toMatch(/^volume=/);
    const linear =
      `loudnorm=I=${TARGET.i}:TP=${TARGET.tp}:LRA=${TARGET.lra}:measured_I=${m.inputI}:measured_TP=${m.inputTp}:` +
      `measured_LRA=${m.inputLra}:measured_thresh=${m.inputThresh}:offset=0:linear=true`;
    const viaVolume = join(dir, 'via-volume.wav');
    const viaLoudnorm = join(dir, 'via-loudnorm.wav');
    await ffmpeg(['-i', quiet, '-af', pass2, viaVolume]);
    await ffmpeg(['-i', quiet, '-af', `${linear},aformat=sample_rates=48000`, viaLoudnorm]);
    const a = await measureIntegratedLufs(FFMPEG, viaVolume);
    const b = await measureIntegratedLufs(FFMPEG, viaLoudnorm);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(0.1);
  });

  it('measures and normalizes the same way with the npm ffmpeg 4.1 fallback', async () => {
    const m = await measureLoudness(FFMPEG_41, {
      inputs: ['-i', quiet],
      graph: '',
      audioLabel: '0:a',
      target: TARGET,
    });
    const out = join(dir, 'normalized-41.m4a');
    await runFfmpeg(FFMPEG_41, ['-y', '-i', quiet, '-af', loudnormFilter(TARGET, m), out]);
    expect(Math.abs((await measureIntegratedLufs(FFMPEG_41, out)) - TARGET.i)).toBeLessThanOrEqual(1);
    expect(await sampleRate(out)).toBe(48000);
  });

  it('single-pass dynamic loudnorm also lands at 48 kHz (not 192 kHz)', async () => {
    const out = join(dir, 'dynamic.wav');
    await ffmpeg(['-i', quiet, '-af', loudnormFilter(TARGET), out]);
    expect(await sampleRate(out)).toBe(48000);
    expect(Math.abs((await measureIntegratedLufs(FFMPEG, out)) - TARGET.i)).toBeLessThanOrEqual(1.5);
  });

  it('measures the labelled output of a graph that also has a video output', async () => {
    const direct = await measureLoudness(FFMPEG, {
      inputs: ['-i', clip],
      graph: '',
      audioLabel: '[0:a]',
      target: TARGET,
    });
    const halved = await measureLoudness(FFMPEG, {
      inputs: ['-i', clip],
      graph: '[0:v]scale=160:90[vout];[0:a]volume=0.5[aout]',
      audioLabel: '[aout]',
      target: TARGET,
    });
    // volume=0.5 is −6.02 dB.
    expect(Math.abs(direct.inputI - halved.inputI - 6.02)).toBeLessThan(0.3);
  });

  it('reports silence as -Infinity rather than a number', async () => {
    const silent = join(dir, 'silent.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '2', silent]);
    const m = await measureLoudness(FFMPEG, {
      inputs: ['-i', silent],
      graph: '',
      audioLabel: '0:a',
      target: TARGET,
    });
    expect(m.inputI).toBe(Number.NEGATIVE_INFINITY);
    expect(loudnormFilter(TARGET, m)).toBe('loudnorm=I=-14:TP=-1.5:LRA=11,aformat=sample_rates=48000');
  });
});
