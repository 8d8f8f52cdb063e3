/**
 * Whole-output sound and picture fades (`fx.fade`) and volume changes (`fx.volume`): `fade`/`afade` at
 * the ends of the output, `volume` with timeline `enable` for a range. Times are output times.
 */
import { type GraphBuilder, sec } from './graph.js';

interface Fade {
  inMs?: number;
  outMs?: number;
  picture?: boolean;
  sound?: boolean;
}

interface VolumeStep {
  gain: number;
  fromMs?: number;
  toMs?: number;
  lastMs?: number;
}

/** A fade never takes more than half of the output. */
const clamp = (ms: number, durationMs: number): number => Math.max(0, Math.min(ms, durationMs / 2));

function fades(name: 'fade' | 'afade', f: Fade, durationMs: number): string[] {
  const out: string[] = [];
  const d = (ms: number): string => sec(clamp(ms, durationMs));
  if (f.inMs) out.push(`${name}=t=in:st=0:d=${d(f.inMs)}`);
  if (f.outMs) {
    const ms = clamp(f.outMs, durationMs);
    out.push(`${name}=t=out:st=${sec(durationMs - ms)}:d=${sec(ms)}`);
  }
  return out;
}

/** What fades each part of `fx.fade`: the filter and the graph label's tag. */
const FADED = {
  picture: { filter: 'fade', tag: 'vfd' },
  sound: { filter: 'afade', tag: 'afd' },
} as const;

/** The fades of `fx.fade` on one stream: the picture (`fade`) or the sound (`afade`). */
function fadeStream(
  g: GraphBuilder,
  stream: string,
  fx: Record<string, unknown>,
  durationMs: number,
  part: keyof typeof FADED,
): string {
  const f = fx.fade as Fade | undefined;
  if (!f || f[part] === false) return stream;
  const filters = fades(FADED[part].filter, f, durationMs);
  return filters.length ? g.chain(stream, filters.join(','), FADED[part].tag) : stream;
}

/** The picture fades of `fx.fade` on `video` (before the output format). */
export const fadeVideo = (
  g: GraphBuilder,
  video: string,
  fx: Record<string, unknown>,
  durationMs: number,
): string => fadeStream(g, video, fx, durationMs, 'picture');

/** The sound fades of `fx.fade` on the final `audio` (after loudness normalization). */
export const fadeAudio = (
  g: GraphBuilder,
  audio: string,
  fx: Record<string, unknown>,
  durationMs: number,
): string => fadeStream(g, audio, fx, durationMs, 'sound');

/** The volume steps of `fx.volume` on the mixed `audio` (before loudness normalization). */
export function volumeAudio(
  g: GraphBuilder,
  audio: string,
  fx: Record<string, unknown>,
  durationMs: number,
): string {
  const steps = (fx.volume ?? []) as VolumeStep[];
  if (steps.length === 0) return audio;
  const filters = steps.map((v) => {
    const from = v.lastMs !== undefined ? Math.max(0, durationMs - v.lastMs) : v.fromMs;
    const to = v.lastMs !== undefined ? durationMs : v.toMs;
    const enable = from === undefined ? '' : `:enable='between(t,${sec(from)},${sec(to ?? durationMs)})'`;
    return `volume=${v.gain}${enable}`;
  });
  return g.chain(audio, filters.join(','), 'avol');
}
