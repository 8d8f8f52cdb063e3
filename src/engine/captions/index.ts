import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { getCapabilities } from '../ffmpeg.js';
import { CaptionsError, NoTranscriberError } from './errors.js';
import { pocketsphinxUnavailableReason, transcribeWithPocketsphinx } from './pocketsphinx.js';
import { type Cue, parseSrt, parseVtt } from './subtitles.js';
import { transcribeWithWhisper } from './whisper.js';

export { CaptionsError, NoTranscriberError } from './errors.js';
export { POCKETSPHINX_MODEL_DIR } from './pocketsphinx.js';
export { type Cue, parseSrt, parseVtt, toSrt } from './subtitles.js';
export { checkAsrModel, findWhisperBinary } from './whisper.js';

export interface LoadCaptionsOptions {
  /** An SRT or VTT file (`--captions`). */
  captionsPath?: string;
  /** A whisper.cpp ggml model file (`--asr-model`); needs a whisper.cpp binary (see `findWhisperBinary`). */
  asrModelPath?: string;
  /** The media whose first audio stream is transcribed. */
  mediaPath: string;
  ffmpegPath: string;
  /** This ffmpeg's filters; from the engine's `getCapabilities(ffmpegPath)` when omitted. */
  filters?: Set<string>;
  signal?: AbortSignal;
}

export type CaptionSource = 'file' | 'whisper' | 'pocketsphinx';

export interface LoadedCaptions {
  cues: Cue[];
  source: CaptionSource;
}

/**
 * Captions from the first source that exists: (1) `captionsPath` (SRT or VTT); (2) whisper.cpp with
 * `asrModelPath` (an error, not a fallback, when whisper.cpp is missing); (3) pocketsphinx through ffmpeg's
 * `asr` filter when the filter and Debian's `pocketsphinx-en-us` model are present. Otherwise throws
 * `NoTranscriberError`. Transcribers may return no cues (no speech recognized).
 */
export async function loadCaptions(opts: LoadCaptionsOptions): Promise<LoadedCaptions> {
  if (opts.captionsPath) return { cues: await readCaptionsFile(opts.captionsPath), source: 'file' };
  if (opts.asrModelPath) {
    const cues = await transcribeWithWhisper(opts.ffmpegPath, opts.mediaPath, opts.asrModelPath, opts.signal);
    return { cues, source: 'whisper' };
  }
  const filters = opts.filters ?? (await getCapabilities(opts.ffmpegPath)).filters;
  const unavailable = pocketsphinxUnavailableReason(filters);
  if (unavailable) throw new NoTranscriberError(unavailable);
  return {
    cues: await transcribeWithPocketsphinx(opts.ffmpegPath, opts.mediaPath, opts.signal),
    source: 'pocketsphinx',
  };
}

/** Reads an SRT or VTT file (by extension, else by a `WEBVTT` header); throws `CaptionsError` when it has no cues. */
export async function readCaptionsFile(path: string): Promise<Cue[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CaptionsError(`cannot read captions file ${path}: ${(e as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  const vtt = ext === '.vtt' || (ext !== '.srt' && /^\uFEFF?WEBVTT/.test(text));
  const cues = vtt ? parseVtt(text) : parseSrt(text);
  if (cues.length === 0)
    throw new CaptionsError(`no captions found in ${path} (expected SRT or WebVTT cues)`);
  return cues;
}
