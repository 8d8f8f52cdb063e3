import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loggedDurationMs, runFfmpeg } from '../analysis/run-ffmpeg.js';
import type { Cue } from './subtitles.js';

/** Where Debian's `pocketsphinx-en-us` package puts the US English model. */
export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const MODEL = {
  hmm: join(POCKETSPHINX_MODEL_DIR, 'en-us'),
  dict: join(POCKETSPHINX_MODEL_DIR, 'cmudict-en-us.dict'),
  lm: join(POCKETSPHINX_MODEL_DIR, 'en-us.lm.bin'),
};

/** Why pocketsphinx cannot run with this ffmpeg, or `undefined` when it can. */
export function pocketsphinxUnavailableReason(filters: Set<string>): string | undefined {
  if (!filters.has('asr')) return 'this ffmpeg has no asr filter (pocketsphinx)';
  const missing = Object.values(MODEL).filter((p) => !existsSync(p));
  if (missing.length > 0) return `pocketsphinx model files are missing: ${missing.join(', ')}`;
  return undefined;
}

/** Longest caption made from one utterance: longer utterances are split into several cues. */
const MAX_WORDS = 7;
const MAX_CHARS = 42;

/**
 * Transcribes the first audio stream with ffmpeg's `asr` filter (pocketsphinx) in one audio-only pass:
 * `aresample=16000,apad,silencedetect,asr,ametadata=mode=print`. The filter reports each utterance's text
 * when the utterance ends; silencedetect's events time it (see `cuesFromAsrMetadata`). Long utterances
 * become several cues, timed by their share of characters.
 */
export async function transcribeWithPocketsphinx(
  ffmpegPath: string,
  mediaPath: string,
  signal?: AbortSignal,
): Promise<Cue[]> {
  const asr = `asr=hmm=${MODEL.hmm}:dict=${MODEL.dict}:lm=${MODEL.lm}`;
  // apad gives the recognizer trailing silence, so the last utterance is closed and reported; silencedetect
  // after it sees that pad too, so speech running to the end of the media still gets a silence_start there.
  const chain = `aresample=16000,apad=pad_dur=1.5,silencedetect=n=-35dB:d=0.3,${asr},ametadata=mode=print:file=-`;
  const { stdout, stderr } = await runFfmpeg(
    ffmpegPath,
    ['-i', mediaPath, '-map', '0:a:0', '-vn', '-af', chain, '-f', 'null', '-'],
    signal,
  );
  return cuesFromAsrMetadata(stdout, loggedDurationMs(stderr));
}

/**
 * Turns `ametadata=mode=print` output (silencedetect + asr keys) into cues; exported for unit tests.
 * Speech runs lie between silences (the media may start with one); an utterance spans the runs since the
 * previous cue: from the first run's start to the last run's end, or to the report time when the speech
 * has not stopped yet.
 */
export function cuesFromAsrMetadata(printed: string, durationMs = Number.POSITIVE_INFINITY): Cue[] {
  const cues: Cue[] = [];
  let frameMs = 0;
  let runStartMs: number | undefined = 0;
  let firstRunStartMs: number | undefined;
  let lastRunEndMs: number | undefined;
  let previousEndMs = 0;
  for (const line of printed.split('\n')) {
    const frame = /pts_time:(-?[\d.]+)/.exec(line);
    if (frame) {
      frameMs = Number(frame[1]) * 1000;
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'lavfi.silence_end') runStartMs = Number(value) * 1000;
    else if (key === 'lavfi.silence_start') {
      const silenceMs = Number(value) * 1000;
      if (runStartMs !== undefined && silenceMs > runStartMs) {
        firstRunStartMs ??= runStartMs;
        lastRunEndMs = silenceMs;
      }
      runStartMs = undefined;
    } else if (key === 'lavfi.asr.text' && value) {
      const speaking = runStartMs !== undefined;
      if (speaking) firstRunStartMs ??= runStartMs;
      const startMs = Math.min(Math.max(previousEndMs, firstRunStartMs ?? previousEndMs), durationMs);
      const lastEnd =
        !speaking && lastRunEndMs !== undefined && lastRunEndMs > startMs ? lastRunEndMs : frameMs;
      let endMs = Math.min(lastEnd, durationMs);
      if (endMs <= startMs) endMs = Math.min(startMs + 1000, durationMs);
      firstRunStartMs = undefined;
      lastRunEndMs = undefined;
      if (speaking) runStartMs = frameMs;
      if (endMs <= startMs) continue;
      cues.push(...splitUtterance(value, startMs, endMs));
      previousEndMs = endMs;
    }
  }
  return cues;
}

function splitUtterance(text: string, startMs: number, endMs: number): Cue[] {
  const chunks: string[] = [];
  let current: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (
      current.length > 0 &&
      (current.length >= MAX_WORDS || [...current, word].join(' ').length > MAX_CHARS)
    ) {
      chunks.push(current.join(' '));
      current = [];
    }
    current.push(word);
  }
  if (current.length > 0) chunks.push(current.join(' '));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const cues: Cue[] = [];
  let at = startMs;
  for (const [k, chunk] of chunks.entries()) {
    const end = k === chunks.length - 1 ? endMs : at + ((endMs - startMs) * chunk.length) / total;
    cues.push({ startMs: Math.round(at), endMs: Math.round(end), text: chunk });
    at = end;
  }
  return cues;
}
