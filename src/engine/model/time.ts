/**
 * Time in the engine model: integer frames at a rational timebase (`num/den` frames per second, the
 * draft's fps), as auto-editor's v3 timeline keeps it. Drafts carry float milliseconds; they become frames
 * once, at the boundary (`msToFrames`), and milliseconds again only where a filter argument or a draft key
 * needs them (`framesToMs`).
 */

/** Frames per second as a fraction: 30000/1001 for NTSC 29.97. */
export interface Timebase {
  num: number;
  den: number;
}

/** A whole number of frames at the model's timebase. */
export type Frames = number;

const MAX_DEN = 1_000_000;

/**
 * The fraction a float fps stands for (`30000/1001` for 29.97002997…): the first continued-fraction
 * convergent equal to it to the last bits of the float, so a probe's rate such as 1803000/60079 comes back.
 */
export function timebaseOf(fps: number): Timebase {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = fps;
  for (let i = 0; i < 32; i++) {
    const a = Math.floor(x);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (k1 > MAX_DEN) return { num: h0, den: k0 };
    if (Math.abs(h1 / k1 - fps) <= 4 * Number.EPSILON * fps || x === a) break;
    x = 1 / (x - a);
  }
  return { num: h1, den: k1 };
}

/** The timebase as frames per second (the number the filters print: `fps=`, `r=`). */
export const fpsOf = (tb: Timebase): number => tb.num / tb.den;

/**
 * The one rounding rule: a time in milliseconds → the NEAREST frame, a tie going to the later one, reckoned
 * on the whole microseconds as ffmpeg rescales a filter's time (`av_rescale_q`, round to nearest). It is what
 * the renderer does: `trim=duration=<d>` after `fps` keeps round(d × fps) frames, so a clip `d` ms long
 * plays exactly `msToFrames(d)` frames; a draft's frame-snapped value (µs-rounded) stays on its own frame.
 */
export function msToFrames(ms: number, tb: Timebase): Frames {
  const us = Math.round(ms * 1000);
  return Math.floor((us * tb.num) / (tb.den * 1_000_000) + 0.5);
}

/** Frames → milliseconds, rounded to the microsecond (the drafts' precision, `round` in draft-build). */
export function framesToMs(frames: number, tb: Timebase): number {
  return Math.round((frames * tb.den * 1_000_000) / tb.num) / 1000;
}
