import { getCapabilities } from '../ffmpeg.js';
import { runProcess } from '../process.js';
import { loggedDurationMs } from './run-ffmpeg.js';
import type { Interval } from './silence.js';

/** Short-window loudness of an audio stream: one RMS level (dBFS) per frame of `frameMs`. */
export interface LevelProfile {
  frameMs: number;
  /** RMS level of each frame, dBFS; digital silence is −Infinity. */
  levels: number[];
  /** Where the audio starts in the media's time (late audio: `-itsoffset`), ms. */
  audioStartMs: number;
  /** Where the audio ends, ms (the last frame's end). */
  audioEndMs: number;
  /** The media's duration as ffmpeg logged it (the longest stream), ms; undefined when not logged. */
  mediaDurationMs?: number;
}

/** Levels are taken at this rate: a 10 ms frame is then 160 samples whatever the source rate. */
const LEVEL_RATE = 16000;

/**
 * One cheap audio-only pass: `aresample=16000,asetnsamples=<frame>,astats=metadata=1:reset=1` and the RMS level
 * of each frame read from `ametadata` on stdout (streamed line by line, never kept whole). Frame times come
 * from the frames' own timestamps, so audio that starts late reports where it starts.
 */
export async function measureLevels(
  ffmpegPath: string,
  mediaPath: string,
  opts: { frameMs?: number; signal?: AbortSignal } = {},
): Promise<LevelProfile> {
  const frameMs = opts.frameMs ?? 10;
  const samples = Math.round((LEVEL_RATE * frameMs) / 1000);
  // only the overall RMS level where astats can be told so (the same lines, in 0.45 of the time here)
  const only = (await getCapabilities(ffmpegPath)).astatsMeasure
    ? ':measure_perchannel=none:measure_overall=RMS_level'
    : '';
  const chain =
    `aresample=${LEVEL_RATE},asetnsamples=n=${samples}:p=0,astats=metadata=1:reset=1${only},` +
    'ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file=-';
  const levels: number[] = [];
  let firstMs: number | undefined;
  let lastMs = 0;
  // As runFfmpeg's passes: `-progress pipe:3` keeps the stall watchdog fed without touching stdout.
  const args = ['-nostdin', '-hide_banner', '-nostats', '-progress', 'pipe:3'];
  args.push('-i', mediaPath, '-map', '0:a:0', '-vn');
  const { stderr } = await runProcess(ffmpegPath, [...args, '-af', chain, '-f', 'null', '-'], {
    purpose: 'analysis',
    signal: opts.signal,
    progressFd: true,
    keepStdout: false,
    onStdoutLine: (line) => {
      if (line.startsWith('frame:')) {
        const t = /pts_time:(-?[\d.e-]+)/.exec(line);
        if (t) {
          lastMs = Number(t[1]) * 1000;
          firstMs ??= lastMs;
        }
      } else if (line.startsWith('lavfi.astats.Overall.RMS_level=')) {
        const v = line.slice(line.indexOf('=') + 1);
        levels.push(v === '-inf' || v === 'inf' ? Number.NEGATIVE_INFINITY : Number(v));
      }
    },
  });
  const audioStartMs = Math.max(0, firstMs ?? 0);
  return {
    frameMs,
    levels,
    audioStartMs,
    audioEndMs: levels.length > 0 ? lastMs + frameMs : audioStartMs,
    mediaDurationMs: loggedDurationMs(stderr),
  };
}

/** What the level distribution says about the room. */
export interface NoiseProfile {
  /** Level of the quiet frames (10th percentile), dBFS: the room's noise floor when the audio has pauses. */
  floorDb: number;
  /** Level of the loud frames (90th percentile), dBFS: speech. */
  speechDb: number;
  /** 5th–25th percentile spread, dB: small when the quiet frames are one steady noise (pauses in a room). */
  quietSpreadDb: number;
}

export function noiseProfile(levels: number[]): NoiseProfile {
  const sorted = levels.filter((l) => !Number.isNaN(l)).sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? -Infinity;
  const p5 = at(0.05);
  const p25 = at(0.25);
  return { floorDb: at(0.1), speechDb: at(0.9), quietSpreadDb: p25 - p5 };
}

export interface AdaptiveOptions {
  /** Shortest pause reported, ms (default 200). */
  minSilenceMs?: number;
  /** Where between floor (0) and speech (1) the threshold sits (default 0.5: midway). */
  position?: number;
  /** Hysteresis: speech starts `hysteresisDb/2` above the threshold and ends as far below it (default 4). */
  hysteresisDb?: number;
  /** Shortest burst above the threshold that counts as sound, ms (default 30: a click is not a word). */
  minSoundMs?: number;
}

export interface AdaptiveDecision {
  /** The threshold used, dBFS RMS; undefined when the levels show no steady noise floor under speech. */
  thresholdDb?: number;
  profile: NoiseProfile;
  /** Why no adaptive threshold (when none). */
  reason?: string;
}

/** A noise floor must sit this far under the speech for pauses to be told from speech. */
const MIN_CONTRAST_DB = 10;
/** A steady room noise: its quiet frames spread less than this (music's quiet moments spread more). */
const MAX_QUIET_SPREAD_DB = 6;

/**
 * Picks a threshold between the noise floor and the speech level, or none when the audio has no steady
 * floor under louder sound (music without pauses, a single level throughout, too little contrast).
 */
export function adaptiveThreshold(profile: NoiseProfile, opts: AdaptiveOptions = {}): AdaptiveDecision {
  const { floorDb, speechDb, quietSpreadDb } = profile;
  if (!Number.isFinite(floorDb) || !Number.isFinite(speechDb))
    return { profile, reason: 'digital silence or no audio: the floor is not noise' };
  if (speechDb - floorDb < MIN_CONTRAST_DB)
    return { profile, reason: `speech only ${(speechDb - floorDb).toFixed(1)} dB over the floor` };
  if (quietSpreadDb > MAX_QUIET_SPREAD_DB)
    return {
      profile,
      reason: `quiet frames spread ${quietSpreadDb.toFixed(1)} dB: not a steady noise floor`,
    };
  const position = opts.position ?? 0.5;
  return { profile, thresholdDb: floorDb + position * (speechDb - floorDb) };
}

/**
 * Pauses from a level profile: frames are sound from the first frame `hysteresisDb/2` over `thresholdDb` until
 * the first frame as far under it; bursts of sound shorter than `minSoundMs` are dropped, then quiet runs of
 * at least `minSilenceMs` are pauses. Times are media times (the profile's `audioStartMs` added).
 */
export function pausesFromLevels(
  profile: LevelProfile,
  thresholdDb: number,
  opts: AdaptiveOptions = {},
): Interval[] {
  const { frameMs, levels, audioStartMs } = profile;
  const half = (opts.hysteresisDb ?? 4) / 2;
  const minSoundFrames = Math.ceil((opts.minSoundMs ?? 30) / frameMs);
  const minSilenceMs = opts.minSilenceMs ?? 200;
  const sound: boolean[] = [];
  let on = false;
  for (const level of levels) {
    if (on && level < thresholdDb - half) on = false;
    else if (!on && level > thresholdDb + half) on = true;
    sound.push(on);
  }
  // Drop short bursts of sound.
  for (let k = 0; k < sound.length; ) {
    if (!sound[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < sound.length && sound[end]) end++;
    if (end - k < minSoundFrames) sound.fill(false, k, end);
    k = end;
  }
  const pauses: Interval[] = [];
  for (let k = 0; k < sound.length; ) {
    if (sound[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < sound.length && !sound[end]) end++;
    const startMs = audioStartMs + k * frameMs;
    const endMs = audioStartMs + end * frameMs;
    if (endMs - startMs >= minSilenceMs) pauses.push({ startMs, endMs });
    k = end;
  }
  return pauses;
}
