import { denoiseFilter, duckingGraph } from '../analysis/audio-filters.js';
import { framesToMs, type MusicClip, type Timebase } from '../model/index.js';
import type { Capabilities } from '../types.js';
import { AUDIO_FORMAT, type GraphBuilder, sec } from './graph.js';
import type { InputTable } from './inputs.js';

export interface AudioMixOptions {
  caps: Capabilities;
  resolve: (src: string) => string;
  durationMs: number;
  denoise: boolean;
  timebase: Timebase;
}

/** One music segment: looped input, trimmed to its length, faded, delayed to its `at`. */
function musicChain(
  g: GraphBuilder,
  inputs: InputTable,
  file: string,
  at: number,
  d: number,
  loop: boolean,
): string {
  const index = inputs.add([...(loop ? ['-stream_loop', '-1'] : []), '-i', file]);
  const fadeOut = Math.min(1000, d / 4);
  const filters = [
    `atrim=duration=${sec(d)}`,
    'asetpts=PTS-STARTPTS',
    AUDIO_FORMAT,
    `afade=t=in:d=${sec(Math.min(500, d / 4))}`,
    `afade=t=out:st=${sec(d - fadeOut)}:d=${sec(fadeOut)}`,
  ];
  if (at > 0) filters.push(`adelay=${Math.round(at)}|${Math.round(at)}`);
  return g.chain(`${index}:a:0`, filters.join(','), 'm');
}

/**
 * The audio after the clips: denoise the voice, then mix each music track under it (ducked with
 * sidechaincompress when `duck`, else plain amix at unity gain). Returns the mixed label, or undefined
 * when there is no audio at all (muted and no music).
 */
export function mixAudio(
  g: GraphBuilder,
  inputs: InputTable,
  music: MusicClip[],
  voice: string | undefined,
  o: AudioMixOptions,
): string | undefined {
  let current = voice && o.denoise ? g.chain(voice, denoiseFilter(o.caps.filters), 'dn') : voice;
  for (const clip of music) {
    const d = framesToMs(clip.dur, o.timebase);
    if (!clip.src || d <= 0) continue;
    const { volume } = clip;
    const chain = musicChain(
      g,
      inputs,
      o.resolve(clip.src),
      framesToMs(clip.start, o.timebase),
      d,
      clip.loop,
    );
    if (!current) {
      current = g.chain(chain, `volume=${volume},apad,atrim=duration=${sec(o.durationMs)}`, 'mx');
    } else if (clip.duck) {
      const out = g.label('mx');
      g.raw(
        duckingGraph({
          voiceLabel: current,
          musicLabel: chain,
          outLabel: out,
          musicVolume: volume,
          hasNormalize: o.caps.amixNormalize,
        }),
      );
      current = out;
    } else {
      const scaled = g.chain(chain, `volume=${volume}`, 'mv');
      const mix = o.caps.amixNormalize
        ? 'amix=inputs=2:duration=first:dropout_transition=0:normalize=0'
        : 'amix=inputs=2:duration=first:dropout_transition=0,volume=2';
      const out = g.label('mx');
      g.add([current, scaled], mix, [out]);
      current = out;
    }
  }
  return current;
}
