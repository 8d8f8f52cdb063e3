import { bareLabel as bare } from './labels.js';
import { runFfmpeg } from './run-ffmpeg.js';

/** A loudness target: integrated LUFS, true peak dBTP, loudness range LU. */
export interface LoudnessTarget {
  i: number;
  tp: number;
  lra: number;
}

/** loudnorm's pass-1 measurement (its JSON, as numbers; silence gives `-Infinity`). */
export interface LoudnormMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  targetOffset: number;
  /** The mode pass 1 ran in, as loudnorm reports it (pass 1 itself runs dynamic in ffmpeg 5.1). */
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

const MEASURED = '__nemo_loudnorm_measured';
const TO_48K = 'aformat=sample_rates=48000';

/**
 * Pass 1 of two-pass loudnorm: runs `loudnorm=…:print_format=json` on the audio (output `-f null`, audio
 * only unless the graph has other outputs) and parses the last JSON block it prints.
 */
export async function measureLoudness(
  ffmpegPath: string,
  args: MeasureLoudnessArgs,
  signal?: AbortSignal,
): Promise<LoudnormMeasurement> {
  const label = `[${bare(args.audioLabel)}]`;
  const { i, tp, lra } = args.target;
  const measure = `${label}loudnorm=I=${i}:TP=${tp}:LRA=${lra}:print_format=json[${MEASURED}]`;
  const graph = args.graph.trim() ? `${args.graph.trim()};${measure}` : measure;
  const extraMaps = unconsumedOutputs(args.graph)
    .filter((l) => l !== bare(args.audioLabel))
    .flatMap((l) => ['-map', `[${l}]`]);
  const { stderr } = await runFfmpeg(
    ffmpegPath,
    [...args.inputs, '-filter_complex', graph, '-map', `[${MEASURED}]`, ...extraMaps, '-f', 'null', '-'],
    signal,
  );
  return parseLoudnormJson(stderr);
}

/** Parses the last `{…}` block loudnorm printed with `print_format=json`. */
export function parseLoudnormJson(stderr: string): LoudnormMeasurement {
  const blocks = stderr.match(/\{[^{}]*\}/g);
  const last = blocks?.[blocks.length - 1];
  if (!last) throw new Error('loudnorm printed no JSON measurement');
  const json = JSON.parse(last) as Record<string, string>;
  const num = (key: string): number => {
    const v = json[key];
    if (v === undefined) throw new Error(`loudnorm measurement has no ${key}`);
    if (/^-inf/i.test(v)) return Number.NEGATIVE_INFINITY;
    if (/^\+?inf/i.test(v)) return Number.POSITIVE_INFINITY;
    return Number(v);
  };
  return {
    inputI: num('input_i'),
    inputTp: num('input_tp'),
    inputLra: num('input_lra'),
    inputThresh: num('input_thresh'),
    targetOffset: num('target_offset'),
    normalizationType: json.normalization_type === 'linear' ? 'linear' : 'dynamic',
  };
}

/**
 * Pass-2 filter text: linear loudnorm with the measured values (when `measured` is given and finite —
 * silence cannot be measured), else single-pass dynamic loudnorm; always followed by
 * `aformat=sample_rates=48000` because dynamic loudnorm outputs 192 kHz. (`aformat` makes ffmpeg insert the
 * resampler itself: an explicit `aresample=48000` after dynamic loudnorm fails in ffmpeg 5.1 with "Cannot
 * select channel layout" on inputs whose channel layout is unknown, e.g. plain stereo WAV.)
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
  const linear = [
    `measured_I=${clamp(measured.inputI, -99, 0)}`,
    `measured_TP=${clamp(measured.inputTp, -99, 99)}`,
    `measured_LRA=${clamp(measured.inputLra, 0, 99)}`,
    `measured_thresh=${clamp(measured.inputThresh, -99, 0)}`,
    `offset=${clamp(measured.targetOffset, -99, 99)}`,
    'linear=true',
  ].join(':');
  return `${base}:${linear},${TO_48K}`;
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
    ['-i', mediaPath, '-map', '0:a:0', '-vn', '-af', 'ebur128', '-f', 'null', '-'],
    signal,
  );
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const m = /Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)/i.exec(summary);
  if (!m?.[1]) throw new Error('ebur128 printed no integrated loudness');
  return m[1].toLowerCase() === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[1]);
}

/**
 * Labels a filtergraph produces but never consumes (they would otherwise make ffmpeg fail with "unconnected
 * output"): labels that occur once and are not input stream specifiers such as `0:a` or `1`.
 */
function unconsumedOutputs(graph: string): string[] {
  const counts = new Map<string, number>();
  for (const m of graph.matchAll(/\[([^\]]+)\]/g)) {
    const l = m[1] as string;
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return [...counts].filter(([l, n]) => n === 1 && !/^\d+(:|$)/.test(l)).map(([l]) => l);
}
