import {
  adaptiveThreshold,
  type LevelProfile,
  measureLevels,
  type NoiseProfile,
  noiseProfile as noiseProfileFromLevels,
  pausesFromLevels,
} from './noise-floor.js';
import { loggedDurationMs, runFfmpeg } from './run-ffmpeg.js';

/** A time range in milliseconds, `startMs < endMs`. */
export interface Interval {
  startMs: number;
  endMs: number;
}

export interface DetectSilencesOptions {
  /** Level below which audio counts as silent, in dBFS. Default −28 (auto-editor's 0.04 of full scale). */
  thresholdDb?: number;
  /** Shortest silence reported, in ms. Default 200. */
  minSilenceMs?: number;
  /** Media duration, used to close a trailing silence the build left open (else read from the same run). */
  durationMs?: number;
  signal?: AbortSignal;
}

/**
 * Finds the silences of the first audio stream of `mediaPath` with ffmpeg's `silencedetect` (one cheap
 * audio-only pass). Returns them sorted, clamped to ≥ 0. Events are read from `ametadata` on stdout (one
 * line each, never truncated); a trailing silence whose end only the log reports is closed at that logged
 * end, else at `opts.durationMs` or the logged input duration.
 */
export async function detectSilences(
  ffmpegPath: string,
  mediaPath: string,
  opts: DetectSilencesOptions = {},
): Promise<Interval[]> {
  const thresholdDb = opts.thresholdDb ?? -28;
  const minSilenceS = (opts.minSilenceMs ?? 200) / 1000;
  const chain = `silencedetect=n=${thresholdDb}dB:d=${minSilenceS},ametadata=mode=print:file=-`;
  const { stdout, stderr } = await runFfmpeg(
    ffmpegPath,
    ['-i', mediaPath, '-map', '0:a:0', '-vn', '-af', chain, '-f', 'null', '-'],
    opts.signal,
  );
  return parseSilencedetect(stdout, stderr, opts.durationMs);
}

/**
 * Silences from silencedetect's `lavfi.silence_start=`/`lavfi.silence_end=` metadata lines; an unclosed
 * trailing silence ends at the last `silence_end:` of the log (`stderr`) after it, else at `durationMs`,
 * else at the log's `Duration:`.
 */
export function parseSilencedetect(metadata: string, stderr: string, durationMs?: number): Interval[] {
  const silences: Interval[] = [];
  let openStart: number | undefined;
  for (const m of metadata.matchAll(/lavfi\.silence_(start|end)=(-?[\d.]+(?:e-?\d+)?)/g)) {
    const ms = Math.max(0, Number(m[2]) * 1000);
    if (m[1] === 'start') openStart = ms;
    else if (openStart !== undefined) {
      if (ms > openStart) silences.push({ startMs: openStart, endMs: ms });
      openStart = undefined;
    }
  }
  if (openStart !== undefined) {
    const loggedEnds = [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]) * 1000);
    const loggedEnd = loggedEnds[loggedEnds.length - 1];
    const end =
      loggedEnd !== undefined && loggedEnd > openStart ? loggedEnd : (durationMs ?? loggedDurationMs(stderr));
    if (end !== undefined && end > openStart) silences.push({ startMs: openStart, endMs: end });
  }
  return silences.sort((a, b) => a.startMs - b.startMs);
}

/** Peaks of steady noise stand about this far over its RMS level (Gaussian noise: ~4 σ ≈ +12 dB, with room). */
const NOISE_CREST_DB = 15;

export interface PauseDetection {
  /** Pauses, sorted, in media time; stretches the audio does not cover (late start, early end) included. */
  silences: Interval[];
  /**
   * `fixed`: silencedetect at the fixed peak threshold (quiet room, digital silence, or no steady floor);
   * `adaptive`: a threshold set from the measured noise floor (steady room noise over the fixed threshold).
   */
  method: 'fixed' | 'adaptive';
  /** The threshold used, dBFS (peak for `fixed`, 10 ms RMS for `adaptive`). */
  thresholdDb: number;
  noise: NoiseProfile;
  /** Why the fixed threshold was used (when it was). */
  reason?: string;
}

/**
 * Speech-aware pause detection (two cheap audio-only passes at most). First the 10 ms RMS levels
 * (`measureLevels`) give the room's noise floor. Where that floor's peaks stay under the fixed threshold
 * (`thresholdDb`, default −28: clean audio, digital silence, a quiet room) the result is exactly
 * `detectSilences` at that threshold, as before. Where steady room noise reaches it (silencedetect then sees no
 * pause at all), pauses are frames under a threshold midway between the noise floor and the speech level, with
 * hysteresis (`adaptiveThreshold`, `pausesFromLevels`); a lower `thresholdDb` (gentler) moves it toward the
 * floor, a higher one toward the speech. Audio with no steady floor (music without pauses) keeps the fixed
 * method. Stretches of the media the audio does not cover count as silence.
 */
export async function detectPauses(
  ffmpegPath: string,
  mediaPath: string,
  opts: DetectSilencesOptions = {},
): Promise<PauseDetection> {
  const fixedDb = opts.thresholdDb ?? -28;
  const minSilenceMs = opts.minSilenceMs ?? 200;
  const profile = await measureLevels(ffmpegPath, mediaPath, { signal: opts.signal });
  const uncovered = uncoveredSpans(profile, opts.durationMs);
  const position = Math.min(0.8, Math.max(0.2, 0.5 + (fixedDb + 28) / 35));
  const decision = adaptiveThreshold(noiseProfileFromLevels(profile.levels), { position });
  const quietRoom = decision.profile.floorDb + NOISE_CREST_DB < fixedDb;
  if (decision.thresholdDb === undefined || quietRoom) {
    const silences = await detectSilences(ffmpegPath, mediaPath, opts);
    return {
      silences: mergeSpans([...silences, ...uncovered]),
      method: 'fixed',
      thresholdDb: fixedDb,
      noise: decision.profile,
      reason: decision.reason ?? 'the noise floor stays under the fixed threshold',
    };
  }
  const pauses = pausesFromLevels(profile, decision.thresholdDb, { minSilenceMs });
  return {
    silences: mergeSpans([...pauses, ...uncovered]),
    method: 'adaptive',
    thresholdDb: decision.thresholdDb,
    noise: decision.profile,
  };
}

/** The media's stretches without audio: before a late start, after an early end (to `durationMs` or the logged duration). */
function uncoveredSpans(profile: LevelProfile, durationMs?: number): Interval[] {
  const spans: Interval[] = [];
  const end = durationMs ?? profile.mediaDurationMs;
  if (profile.audioStartMs > 0) spans.push({ startMs: 0, endMs: profile.audioStartMs });
  // silencedetect may close a trailing silence a few ms before the last (padded) frame's end: meet it there.
  const tail = profile.audioEndMs - 2 * profile.frameMs;
  if (end !== undefined && end > profile.audioEndMs) spans.push({ startMs: tail, endMs: end });
  return spans;
}

/** Sorted, overlapping or touching spans merged. */
function mergeSpans(spans: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    const last = out[out.length - 1];
    if (last && s.startMs <= last.endMs) last.endMs = Math.max(last.endMs, s.endMs);
    else out.push({ ...s });
  }
  return out;
}

export interface KeepOptions {
  /** Sound kept around each kept part, in ms. Default 200. */
  marginMs?: number;
  /** Cuts shorter than this are not made, in ms. Default 200. */
  minCutMs?: number;
  /** Kept parts shorter than this are dropped, in ms. Default 100. */
  minClipMs?: number;
  /** When given, starts snap up and ends snap down to the frame grid. */
  fps?: number;
}

/**
 * The parts of `[0, durationMs]` to keep when cutting `silences` (pure; auto-editor's rules):
 * complement of the silences → pad each kept part by `marginMs` on both sides (clamped) → merge overlaps →
 * fill cuts shorter than `minCutMs` (also at the very start and end) → drop kept parts shorter than
 * `minClipMs` → snap to the frame grid (start = ceil, end = floor) and drop parts that vanish.
 * All silence gives `[]`; no silence gives the whole range.
 */
export function keepIntervals(silences: Interval[], durationMs: number, opts: KeepOptions = {}): Interval[] {
  const margin = opts.marginMs ?? 200;
  const minCut = opts.minCutMs ?? 200;
  const minClip = opts.minClipMs ?? 100;
  const padded = complement(silences, durationMs).map((k) => ({
    startMs: Math.max(0, k.startMs - margin),
    endMs: Math.min(durationMs, k.endMs + margin),
  }));
  const bridged: Interval[] = [];
  for (const k of padded) {
    const last = bridged[bridged.length - 1];
    if (last && (k.startMs <= last.endMs || k.startMs - last.endMs < minCut))
      last.endMs = Math.max(last.endMs, k.endMs);
    else bridged.push({ ...k });
  }
  const first = bridged[0];
  const last = bridged[bridged.length - 1];
  if (first && first.startMs < minCut) first.startMs = 0;
  if (last && durationMs - last.endMs < minCut) last.endMs = durationMs;
  const kept = bridged.filter((k) => k.endMs - k.startMs >= minClip);
  return opts.fps ? snapToFrames(kept, opts.fps) : kept;
}

/** The gaps of `[0, durationMs]` not covered by `silences` (which may overlap or be unsorted). */
function complement(silences: Interval[], durationMs: number): Interval[] {
  const keeps: Interval[] = [];
  let cursor = 0;
  for (const s of [...silences].sort((a, b) => a.startMs - b.startMs)) {
    const start = Math.max(0, s.startMs);
    if (start > cursor) keeps.push({ startMs: cursor, endMs: Math.min(start, durationMs) });
    cursor = Math.max(cursor, s.endMs);
    if (cursor >= durationMs) break;
  }
  if (cursor < durationMs) keeps.push({ startMs: cursor, endMs: durationMs });
  return keeps.filter((k) => k.endMs > k.startMs);
}

function snapToFrames(intervals: Interval[], fps: number): Interval[] {
  const eps = 1e-6;
  const out: Interval[] = [];
  for (const k of intervals) {
    const startFrame = Math.max(0, Math.ceil((k.startMs * fps) / 1000 - eps));
    const endFrame = Math.floor((k.endMs * fps) / 1000 + eps);
    if (endFrame > startFrame)
      out.push({ startMs: (startFrame * 1000) / fps, endMs: (endFrame * 1000) / fps });
  }
  return out;
}

/** Length of the silence at the very start (for "trim the intro"); 0 when the media starts with sound. */
export function leadingSilenceMs(silences: Interval[]): number {
  const first = [...silences].sort((a, b) => a.startMs - b.startMs)[0];
  return first && first.startMs <= 50 ? first.endMs : 0;
}
