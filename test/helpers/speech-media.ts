/**
 * Speech fixtures with known timing: espeak-ng utterances separated by pauses of known length, with pink
 * noise mixed in at a measured RMS level, optionally muxed under a video. Self-contained (node + ffmpeg +
 * espeak-ng on PATH, or FIXTURE_FFMPEG) so `bench/silence-accuracy.js` can transpile and reuse it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
const RATE = 48000;

export interface Span {
  startMs: number;
  endMs: number;
}

export interface SpeechClipOptions {
  /** Utterances in order (each one espeak-ng run). */
  phrases: string[];
  /** Pause lengths in s: before the first phrase, between phrases, after the last (`phrases.length + 1`). */
  pausesS: number[];
  /** Pink noise under everything at this RMS level (dBFS), measured; none when omitted. */
  noiseDb?: number;
  /** Noise seed (same seed, same noise). */
  seed?: number;
  /** Gain applied to the speech, in dB (default 0: espeak-ng's own level, about −20 dBFS RMS). */
  speechGainDb?: number;
  /** Mux under a 320×180 30 fps video into an mp4 (else a 48 kHz mono WAV). */
  video?: boolean;
  /** Audio starts this late in the mp4 (`-itsoffset`), in s. */
  audioOffsetS?: number;
  /** Video length when it should outlast the audio, in s (mp4 only). */
  videoDurationS?: number;
}

export interface SpeechClip {
  file: string;
  /** Where each phrase's sound is (its first to its last sample above −60 dBFS), in ms of the file. */
  speech: Span[];
  /** The gaps between (and around) `speech`, in ms of the audio. */
  pauses: Span[];
  /** Audio length, in ms (the video may be longer). */
  audioMs: number;
}

async function ffmpeg(args: string[]): Promise<string> {
  const { stderr } = await run(FFMPEG, ['-nostdin', '-hide_banner', '-y', ...args], { maxBuffer: 64 << 20 });
  return stderr;
}

/** Overall RMS level of a file's audio, dBFS (astats). */
export async function rmsDb(file: string): Promise<number> {
  const log = await ffmpeg(['-i', file, '-af', 'astats=measure_perchannel=none', '-f', 'null', '-']);
  const m = /RMS level dB: (-?[\d.]+|-inf)/.exec(log);
  if (!m?.[1]) throw new Error(`no RMS level for ${file}`);
  return m[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[1]);
}

type Phrase = { file: string; ms: number; soundFrom: number; soundTo: number };
/** Utterances already made, by folder and text: fixtures in one folder share them. */
const phraseCache = new Map<string, Promise<Phrase>>();

function cachedPhrase(dir: string, text: string): Promise<Phrase> {
  const key = `${dir}\0${text}`;
  let phrase = phraseCache.get(key);
  if (!phrase) {
    const base = `phrase-${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    phrase = phraseWav(dir, text, base);
    phraseCache.set(key, phrase);
  }
  return phrase;
}

/** One utterance as a 48 kHz mono WAV, plus where its sound starts and ends inside it (ms). */
async function phraseWav(
  dir: string,
  text: string,
  base: string,
): Promise<{ file: string; ms: number; soundFrom: number; soundTo: number }> {
  const raw = path.join(dir, `${base}.raw.wav`);
  const file = path.join(dir, `${base}.wav`);
  await run('espeak-ng', ['-w', raw, text]);
  await ffmpeg(['-i', raw, '-ar', String(RATE), '-ac', '1', '-c:a', 'pcm_s16le', file]);
  // −60 dBFS, 20 ms: espeak-ng's own lead-in and tail are digital silence.
  const log = await ffmpeg(['-i', file, '-af', 'silencedetect=n=-60dB:d=0.02', '-f', 'null', '-']);
  const ms = Number(/Duration: \d+:\d+:([\d.]+)/.exec(log)?.[1] ?? Number.NaN) * 1000;
  const starts = [...log.matchAll(/silence_start: (-?[\d.]+)/g)].map((m) => Math.max(0, Number(m[1]) * 1000));
  const ends = [...log.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]) * 1000);
  const soundFrom = starts[0] !== undefined && starts[0] <= 1 && ends[0] !== undefined ? ends[0] : 0;
  const lastStart = starts[starts.length - 1];
  const soundTo =
    lastStart !== undefined && lastStart > soundFrom && ends.length >= starts.length - 1 ? lastStart : ms;
  return { file, ms, soundFrom, soundTo };
}

/**
 * Generates `dir/name` (WAV, or mp4 with `video`): pause, phrase, pause, …, pause, with pink noise at
 * `noiseDb` RMS mixed in (its gain set from a measurement of the same seeded noise).
 */
export async function makeSpeechClip(dir: string, name: string, o: SpeechClipOptions): Promise<SpeechClip> {
  if (o.pausesS.length !== o.phrases.length + 1) throw new Error('pausesS needs phrases.length + 1 entries');
  const phrases = [];
  for (const text of o.phrases) phrases.push(await cachedPhrase(dir, text));
  const speech: Span[] = [];
  const pauses: Span[] = [];
  const inputs: string[] = [];
  const parts: string[] = [];
  let at = 0;
  let soundEnd = 0;
  for (let k = 0; k <= phrases.length; k++) {
    const pauseMs = (o.pausesS[k] ?? 0) * 1000;
    parts.push(`anullsrc=r=${RATE}:cl=mono,atrim=0:${pauseMs / 1000}[p${k}]`);
    at += pauseMs;
    const phrase = phrases[k];
    if (!phrase) {
      pauses.push({ startMs: soundEnd, endMs: at });
      break;
    }
    inputs.push('-i', phrase.file);
    pauses.push({ startMs: soundEnd, endMs: at + phrase.soundFrom });
    speech.push({ startMs: at + phrase.soundFrom, endMs: at + phrase.soundTo });
    soundEnd = at + phrase.soundTo;
    at += phrase.ms;
  }
  const order = phrases.map((_, k) => `[p${k}][${k}:a]`).join('') + `[p${phrases.length}]`;
  const gain = o.speechGainDb ? `,volume=${o.speechGainDb}dB` : '';
  const clean = path.join(dir, `${name}.clean.wav`);
  await ffmpeg([
    ...inputs,
    '-filter_complex',
    `${parts.join(';')};${order}concat=n=${phrases.length * 2 + 1}:v=0:a=1${gain}[s]`,
    ...['-map', '[s]', '-c:a', 'pcm_s16le', clean],
  ]);
  let audio = clean;
  if (o.noiseDb !== undefined) {
    const noise = path.join(dir, `${name}.noise.wav`);
    const source = `anoisesrc=color=pink:r=${RATE}:seed=${o.seed ?? 7}:amplitude=0.5:d=${at / 1000}`;
    await ffmpeg(['-f', 'lavfi', '-i', source, '-c:a', 'pcm_f32le', noise]);
    const gainDb = o.noiseDb - (await rmsDb(noise));
    audio = path.join(dir, `${name}.noisy.wav`);
    await ffmpeg([
      ...['-i', clean, '-i', noise],
      '-filter_complex',
      `[1:a]volume=${gainDb.toFixed(3)}dB[n];[0:a][n]amix=inputs=2:duration=first:normalize=0[m]`,
      ...['-map', '[m]', '-c:a', 'pcm_s16le', audio],
    ]);
  }
  const file = path.join(dir, name);
  if (!o.video) {
    if (file !== audio) await ffmpeg(['-i', audio, '-c', 'copy', file]);
  } else {
    const videoS = o.videoDurationS ?? at / 1000 + (o.audioOffsetS ?? 0);
    await ffmpeg([
      ...['-f', 'lavfi', '-i', `testsrc2=s=320x180:r=30:d=${videoS}`],
      ...(o.audioOffsetS ? ['-itsoffset', String(o.audioOffsetS)] : []),
      ...['-i', audio, '-map', '0:v', '-map', '1:a'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30'],
      ...['-c:a', 'aac', '-b:a', '128k', file],
    ]);
  }
  if (!existsSync(file)) throw new Error(`fixture not written: ${file}`);
  const shift = (s: Span): Span => ({
    startMs: s.startMs + (o.audioOffsetS ?? 0) * 1000,
    endMs: s.endMs + (o.audioOffsetS ?? 0) * 1000,
  });
  return { file, speech: speech.map(shift), pauses: pauses.map(shift), audioMs: at };
}

/**
 * Music with no pauses: a melody of overlapping decaying notes over a sustained chord (levels move
 * ±10 dB, never to silence), 48 kHz mono WAV.
 */
export async function makeMusic(file: string, durationS: number): Promise<string> {
  const notes = [262, 330, 392, 523, 440, 349, 294, 392];
  const beat = 0.4;
  const melody = notes
    .map((f, k) => `0.35*sin(2*PI*${f}*t)*exp(-4*mod(t-${k * beat},${notes.length * beat}))`)
    .join('+');
  const chord = '0.08*(sin(2*PI*131*t)+sin(2*PI*196*t))';
  await ffmpeg(['-f', 'lavfi', '-i', `aevalsrc='${melody}+${chord}':s=${RATE}:d=${durationS}`, file]);
  return file;
}

export interface CutScore {
  /** Share of the speech time kept, %. */
  speechKeptPct: number;
  /** Utterances not kept whole (a cut inside, or an edge trimmed). */
  clipped: number;
  /** Speech time lost, ms. */
  speechLostMs: number;
  /** Removable pause time (each pause less the margins the rules keep, when at least `minCutMs`), ms. */
  removableMs: number;
  /** Pause time removed, ms, and as a share of the removable time, %. */
  removedMs: number;
  removedPct: number;
  /** Smallest gap between an utterance's sound and a cut next to it, ms (how much of the margin is left). */
  minMarginMs: number;
}

function overlapMs(a: Span, keeps: Span[]): number {
  return keeps.reduce(
    (n, k) => n + Math.max(0, Math.min(a.endMs, k.endMs) - Math.max(a.startMs, k.startMs)),
    0,
  );
}

/**
 * Scores kept ranges against the known layout: how much speech survives, how many utterances lose any of
 * their sound (1 ms tolerance), and how much of the removable pause time went.
 */
export function scoreCuts(
  clip: Pick<SpeechClip, 'speech' | 'pauses'>,
  keeps: Span[],
  rules: { marginMs?: number; minCutMs?: number } = {},
): CutScore {
  const margin = rules.marginMs ?? 200;
  const minCut = rules.minCutMs ?? 200;
  const speechMs = clip.speech.reduce((n, s) => n + s.endMs - s.startMs, 0);
  let keptSpeech = 0;
  let clipped = 0;
  for (const s of clip.speech) {
    const kept = overlapMs(s, keeps);
    keptSpeech += kept;
    if (kept < s.endMs - s.startMs - 1) clipped++;
  }
  let removableMs = 0;
  let removedMs = 0;
  for (const [k, p] of clip.pauses.entries()) {
    const edges = (k === 0 ? 1 : 0) + (k === clip.pauses.length - 1 ? 1 : 0);
    const removable = p.endMs - p.startMs - (2 - edges) * margin;
    if (removable >= minCut) removableMs += removable;
    removedMs += p.endMs - p.startMs - overlapMs(p, keeps);
  }
  // Only margins next to a cut count: not the media's own start and end.
  let minMarginMs = Number.POSITIVE_INFINITY;
  const audioEnd = clip.pauses[clip.pauses.length - 1]?.endMs ?? 0;
  for (const s of clip.speech) {
    const k = keeps.find((x) => x.startMs <= s.startMs + 1 && x.endMs >= s.endMs - 1);
    if (!k) continue;
    if (k.startMs > 1) minMarginMs = Math.min(minMarginMs, s.startMs - k.startMs);
    if (k.endMs < audioEnd - 1) minMarginMs = Math.min(minMarginMs, k.endMs - s.endMs);
  }
  return {
    minMarginMs,
    speechKeptPct: (100 * keptSpeech) / speechMs,
    clipped,
    speechLostMs: speechMs - keptSpeech,
    removableMs,
    removedMs,
    removedPct: removableMs > 0 ? (100 * removedMs) / removableMs : 100,
  };
}
