/**
 * Whole-output sound and picture fades (`fx.fade`) and volume changes (`fx.volume`): `fade`/`afade` at
 * the ends of the output, `volume` with timeline `enable` for a range. Times are output times.
 */
import { type Fx, framesToMs, type Timebase } from '../model/index.js';
import { type GraphBuilder, sec } from './graph.js';

/** A fade never takes more than half of the output. */
const clamp = (ms: number, durationMs: number): number => Math.max(0, Math.min(ms, durationMs / 2));

function fades(name: 'fade' | 'afade', inMs: number, outMs: number, durationMs: number): string[] {
  const out: string[] = [];
  const d = (ms: number): string => sec(clamp(ms, durationMs));
  if (inMs) out.push(`${name}=t=in:st=0:d=${d(inMs)}`);
  if (outMs) {
    const ms = clamp(outMs, durationMs);
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
  fx: Fx,
  tb: Timebase,
  durationMs: number,
  part: keyof typeof FADED,
): string {
  const f = fx.fade;
  if (!f?.[part]) return stream;
  const filters = fades(FADED[part].filter, framesToMs(f.in, tb), framesToMs(f.out, tb), durationMs);
  return filters.length ? g.chain(stream, filters.join(','), FADED[part].tag) : stream;
}

/** The picture fades of `fx.fade` on `video` (before the output format). */
export const fadeVideo = (g: GraphBuilder, video: string, fx: Fx, tb: Timebase, durationMs: number): string =>
  fadeStream(g, video, fx, tb, durationMs, 'picture');

/** The sound fades of `fx.fade` on the final `audio` (after loudness normalization). */
export const fadeAudio = (g: GraphBuilder, audio: string, fx: Fx, tb: Timebase, durationMs: number): string =>
  fadeStream(g, audio, fx, tb, durationMs, 'sound');

/** The volume steps of `fx.volume` on the mixed `audio` (before loudness normalization). */
export function volumeAudio(
  g: GraphBuilder,
  audio: string,
  fx: Fx,
  tb: Timebase,
  durationMs: number,
): string {
  if (fx.volume.length === 0) return audio;
  const ms = (frames: number | undefined): number | undefined =>
    frames === undefined ? undefined : framesToMs(frames, tb);
  const filters = fx.volume.map((v) => {
    const lastMs = ms(v.last);
    const from = lastMs !== undefined ? Math.max(0, durationMs - lastMs) : ms(v.from);
    const to = lastMs !== undefined ? durationMs : ms(v.to);
    const enable = from === undefined ? '' : `:enable='between(t,${sec(from)},${sec(to ?? durationMs)})'`;
    return `volume=${v.gain}${enable}`;
  });
  return g.chain(audio, filters.join(','), 'avol');
}
