import { bareLabel as bare } from './labels.js';
import { runFfmpeg } from './run-ffmpeg.js';
import type { Interval } from './silence.js';

export interface DuckingOptions {
  /** The speech audio. Labels are bare names (`voice`, `0:a`); surrounding brackets are tolerated. */
  voiceLabel: string;
  /** The music audio (e.g. an input opened with `-stream_loop -1`; the mix ends with the voice). */
  musicLabel: string;
  /** Label the ducked mix is written to. */
  outLabel: string;
  /** Music gain before ducking, e.g. 0.35. */
  musicVolume: number;
  /** Whether this ffmpeg's `amix` has `normalize` (ffmpeg ≥ 4.4; the npm 4.1 build has not). */
  hasNormalize: boolean;
}

/**
 * A filtergraph fragment (no leading/trailing `;`) that mixes music under the voice and ducks it while the
 * voice sounds: music `volume` → 48 kHz stereo; voice → 48 kHz stereo → `asplit` into the voice and a
 * sidechain; `sidechaincompress` (threshold 0.03, ratio 8, attack 20 ms, release 400 ms) on the music keyed
 * by the sidechain; `amix` with `duration=first` so the mix is as long as the voice, at unity gain
 * (`normalize=0`, or `volume=2` after amix where `normalize` is missing). Internal labels are derived from
 * `outLabel`, so the fragment can be used more than once per graph with distinct `outLabel`s.
 */
export function duckingGraph(o: DuckingOptions): string {
  const voice = bare(o.voiceLabel);
  const music = bare(o.musicLabel);
  const out = bare(o.outLabel);
  const fmt = 'aformat=sample_rates=48000:channel_layouts=stereo';
  const mix = o.hasNormalize
    ? 'amix=inputs=2:duration=first:dropout_transition=0:normalize=0'
    : 'amix=inputs=2:duration=first:dropout_transition=0,volume=2';
  return [
    `[${music}]volume=${o.musicVolume},${fmt}[${out}_music]`,
    `[${voice}]${fmt},asplit=2[${out}_voice][${out}_key]`,
    `[${out}_music][${out}_key]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=400[${out}_ducked]`,
    `[${out}_voice][${out}_ducked]${mix}[${out}]`,
  ].join(';');
}

/**
 * Audio denoise filter text for this ffmpeg's filter set: `afftdn` (FFT denoiser with noise tracking) when
 * present, else a speech band-limit `highpass=f=80,lowpass=f=12000` plus `anlmdn` when present.
 */
export function denoiseFilter(filters: Set<string>): string {
  if (filters.has('afftdn')) return 'afftdn=nr=12:nf=-40:tn=1';
  const band = 'highpass=f=80,lowpass=f=12000';
  return filters.has('anlmdn') ? `${band},anlmdn` : band;
}

export interface RmsOptions {
  /** Filter chain applied to the audio before measuring, e.g. `bandpass=f=200:width_type=q:w=4`. */
  filter?: string;
  signal?: AbortSignal;
}

/** Windows measured per ffmpeg run: volumedetect reports on stderr, of which the runner keeps only the tail. */
const WINDOWS_PER_RUN = 40;

/**
 * RMS level (dBFS, from `volumedetect`'s mean_volume) of the audio in each window (`asplit` → `atrim` per
 * window, up to 40 windows per ffmpeg run). A window with no samples gives `-Infinity`.
 * `streamSpec` selects the audio stream (default `0:a:0`).
 */
export async function rmsOverWindows(
  ffmpegPath: string,
  mediaPath: string,
  windows: Interval[],
  streamSpec = '0:a:0',
  opts: RmsOptions = {},
): Promise<number[]> {
  const levels: number[] = [];
  for (let k = 0; k < windows.length; k += WINDOWS_PER_RUN) {
    const chunk = windows.slice(k, k + WINDOWS_PER_RUN);
    levels.push(...(await rmsRun(ffmpegPath, mediaPath, chunk, streamSpec, opts)));
  }
  return levels;
}

async function rmsRun(
  ffmpegPath: string,
  mediaPath: string,
  windows: Interval[],
  streamSpec: string,
  opts: RmsOptions,
): Promise<number[]> {
  const pre = opts.filter ? `${opts.filter},` : '';
  const split = windows.map((_, k) => `[w${k}]`).join('');
  const measured = windows.map(
    (w, k) => `[w${k}]atrim=start=${w.startMs / 1000}:end=${w.endMs / 1000},volumedetect@win${k}[m${k}]`,
  );
  // Branches end in one mixed output so ffmpeg reads every window to its end before stopping.
  const many = windows.length > 1;
  const mix = many ? [`${windows.map((_, k) => `[m${k}]`).join('')}amix=inputs=${windows.length}[rms]`] : [];
  const graph = [`[${bare(streamSpec)}]${pre}asplit=${windows.length}${split}`, ...measured, ...mix].join(
    ';',
  );
  const { stderr } = await runFfmpeg(
    ffmpegPath,
    ['-i', mediaPath, '-filter_complex', graph, '-map', many ? '[rms]' : '[m0]', '-f', 'null', '-'],
    opts.signal,
  );
  const levels = windows.map(() => Number.NEGATIVE_INFINITY);
  for (const m of stderr.matchAll(/\[volumedetect@win(\d+) @ [^\]]*\] mean_volume: (-?[\d.]+|-inf) dB/g)) {
    levels[Number(m[1])] = m[2] === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[2]);
  }
  return levels;
}
