import { bareLabel as bare } from './labels.js';
import { runFfmpeg } from './run-ffmpeg.js';

/** A loudness target: integrated LUFS, true peak dBTP, loudness range LU. */
export interface LoudnessTarget {
  i: number;
  tp: number;
  lra: number;
}

/**
 * The pass-1 measurement that pass 2 normalizes with (silence gives `-Infinity`). Measured with `ebur128`, which
 * gives loudnorm's answers (BS.1770 integrated loudness, its gating threshold, loudness range, true peak)
 * about 5x faster than a `loudnorm=…:print_format=json` pass, which works at 192 kHz inside.
 */
export interface LoudnormMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  /**
   * loudnorm's `offset`: the gain it adds after its dynamic normalization (pass 2 falls back to dynamic when
   * the linear gain would break the true-peak or LRA target). A loudnorm pass 1 reports its own dynamic
   * residual here; an ebur128 measurement has none, so it is 0 (linear mode computes its gain from `inputI`).
   */
  targetOffset: number;
  /** The mode loudnorm's pass 2 will run in with these values (linear unless the target TP/LRA forbid it). */
  normalizationType: 'linear' | 'dynamic';
}

export interface MeasureLoudnessArgs {
  /** ffmpeg input argv, e.g. `['-i', 'a.mp4']`. */
  inputs: string[];
  /** A filtergraph producing `audioLabel` (may be ''); its other labelled outputs are decoded and discarded. */
  graph: string;
  /** The audio to measure: a graph output label or an input stream specifier, bracketed or bare (`[aout]`, `0:a`). */
  audioLabel: string;
  target: LoudnessTarget;
}

const MEASURED = '__nemo_loudness_measured';
const TO_48K = 'aformat=sample_rates=48000';
/**
 * ebur128 needs a fixed sample format and rate (on some AAC streams it fails with "Error reinitializing
 * filters" otherwise); per-frame log lines go to the verbose level, so only the summary is printed.
 */
const EBUR128 =
  'aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000,ebur128=peak=true:framelog=verbose';

/** ebur128's summary values: integrated loudness and its threshold (LUFS), LRA (LU), true peak (dBFS). */
export interface Ebur128Summary {
  i: number;
  threshold: number;
  lra: number;
  truePeak: number;
}

/**
 * Pass 1 of two-pass loudnorm: measures the audio with `ebur128=peak=true` (output `-f null`, audio only
 * unless the graph has other outputs) and turns its summary into the values pass 2's linear loudnorm takes.
 */
export async function measureLoudness(
  ffmpegPath: string,
  args: MeasureLoudnessArgs,
  signal?: AbortSignal,
): Promise<LoudnormMeasurement> {
  const measure = `[${bare(args.audioLabel)}]${EBUR128}[${MEASURED}]`;
  const graph = args.graph.trim() ? `${args.graph.trim()};${measure}` : measure;
  const extraMaps = unconsumedOutputs(args.graph)
    .filter((l) => l !== bare(args.audioLabel))
    .flatMap((l) => ['-map', `[${l}]`]);
  const { stderr } = await runFfmpeg(
    ffmpegPath,
    [...args.inputs, '-filter_complex', graph, '-map', `[${MEASURED}]`, ...extraMaps, '-f', 'null', '-'],
    signal,
  );
  const m = parseEbur128Summary(stderr);
  const linear = linearGain(args.target, { i: m.i, tp: m.truePeak, lra: m.lra }) !== undefined;
  return {
    inputI: m.i,
    inputTp: m.truePeak,
    inputLra: m.lra,
    inputThresh: m.threshold,
    targetOffset: 0,
    normalizationType: linear ? 'linear' : 'dynamic',
  };
}

/**
 * Parses the last summary ebur128 printed (ffmpeg may print an empty one first, from probing the graph).
 * ebur128 reports silence (nothing above the −70 LUFS gate) as −70 LUFS: that is returned as `-Infinity`.
 */
export function parseEbur128Summary(stderr: string): Ebur128Summary {
  const at = stderr.lastIndexOf('Summary:');
  if (at < 0) throw new Error('ebur128 printed no summary');
  const summary = stderr.slice(at);
  const value = (re: RegExp, what: string): number => {
    const m = re.exec(summary);
    if (!m?.[1]) throw new Error(`ebur128 summary has no ${what}`);
    return /^-inf/i.test(m[1]) ? Number.NEGATIVE_INFINITY : Number(m[1]);
  };
  const num = String.raw`(-?inf|-?[\d.]+)`;
  const i = value(new RegExp(String.raw`Integrated loudness:\s*I:\s*${num}`, 'i'), 'integrated loudness');
  const silent = i <= -70;
  return {
    i: silent ? Number.NEGATIVE_INFINITY : i,
    threshold: value(
      new RegExp(String.raw`Integrated loudness:[\s\S]*?Threshold:\s*${num}`, 'i'),
      'threshold',
    ),
    lra: value(new RegExp(String.raw`LRA:\s*${num}`, 'i'), 'loudness range'),
    truePeak: summary.includes('True peak:')
      ? value(new RegExp(String.raw`True peak:\s*Peak:\s*${num}`, 'i'), 'true peak')
      : Number.NaN,
  };
}

/**
 * loudnorm's rule for linear normalization: the constant gain (target I − measured I) keeps the true peak at or
 * under the target and the loudness range fits. Returns that gain in dB, or `undefined` when loudnorm would
 * normalize dynamically (or nothing was measured: silence gives NaN here).
 */
function linearGain(target: LoudnessTarget, m: { i: number; tp: number; lra: number }): number | undefined {
  const gain = target.i - m.i;
  return m.tp + gain <= target.tp && m.lra <= target.lra ? gain : undefined;
}

/**
 * Pass-2 filter text. With a usable measurement (finite; silence cannot be measured) that allows linear
 * normalization — loudnorm's own rule: measured true peak + gain ≤ target TP and measured LRA ≤ target LRA —
 * a plain `volume=<gain>dB`: linear loudnorm is exactly that constant gain (target I − measured I, no limiter),
 * but converts every sample to double and back inside the encode (~0.7 s of CPU on the 3-minute bench clip).
 * Otherwise `loudnorm` with the measured values (it then runs its dynamic mode), or single-pass dynamic
 * loudnorm without them. Always followed by `aformat=sample_rates=48000`, a no-op at 48 kHz, because dynamic
 * loudnorm outputs 192 kHz. (`aformat` makes ffmpeg insert the resampler itself: an explicit
 * `aresample=48000` after dynamic loudnorm fails in ffmpeg 5.1 with "Cannot select channel layout" on inputs
 * whose channel layout is unknown, e.g. plain stereo WAV.)
 */
export function loudnormFilter(target: LoudnessTarget, measured?: LoudnormMeasurement): string {
  const base = `loudnorm=I=${target.i}:TP=${target.tp}:LRA=${target.lra}`;
  const usable =
    measured &&
    [measured.inputI, measured.inputTp, measured.inputLra, measured.inputThresh, measured.targetOffset].every(
      Number.isFinite,
    );
  if (!usable) return `${base},${TO_48K}`;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const m = {
    i: clamp(measured.inputI, -99, 0),
    tp: clamp(measured.inputTp, -99, 99),
    lra: clamp(measured.inputLra, 0, 99),
    thresh: clamp(measured.inputThresh, -99, 0),
  };
  const gain = linearGain(target, m);
  if (gain !== undefined) return `volume=${Math.round(gain * 1000) / 1000}dB,${TO_48K}`;
  const values = [
    `measured_I=${m.i}`,
    `measured_TP=${m.tp}`,
    `measured_LRA=${m.lra}`,
    `measured_thresh=${m.thresh}`,
    `offset=${clamp(measured.targetOffset, -99, 99)}`,
    'linear=true',
  ].join(':');
  return `${base}:${values},${TO_48K}`;
}

/**
 * Integrated loudness (LUFS) of the first audio stream of `mediaPath`, from ffmpeg's `ebur128` summary.
 * Silence gives `-Infinity`.
 */
export async function measureIntegratedLufs(
  ffmpegPath: string,
  mediaPath: string,
  signal?: AbortSignal,
): Promise<number> {
  const { stderr } = await runFfmpeg(
    ffmpegPath,
    ['-i', mediaPath, '-map', '0:a:0', '-vn', '-af', 'ebur128=framelog=verbose', '-f', 'null', '-'],
    signal,
  );
  return parseEbur128Summary(stderr).i;
}

/**
 * Labels a filtergraph produces but never consumes (they would otherwise make ffmpeg fail with "unconnected
 * output"): labels that occur once and are not input stream specifiers such as `0:a` or `1`.
 */
function unconsumedOutputs(graph: string): string[] {
  const counts = new Map<string, number>();
  for (const m of graph.matchAll(/\[([^\]]+)\]/g)) {
    const l = m[1] ?? '';
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return [...counts].filter(([l, n]) => n === 1 && !/^\d+(:|$)/.test(l)).map(([l]) => l);
}
