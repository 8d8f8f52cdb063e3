import type { Look, PresetName } from '../model/index.js';
import type { Capabilities } from '../types.js';
import { filterValue, type GraphBuilder } from './graph.js';
import type { Canvas } from './segments.js';

export type { Look } from '../model/index.js';

/**
 * A YUV-native warm/cool shift as ONE `eq`: neutral Cb/Cr land on 128 + du / 128 + dv (after the saturation
 * change) through eq's gamma_b/gamma_r, which eq applies as a LUT to the two chroma planes only, while the luma
 * contrast stays on eq's SIMD path. (The former `lutyuv=u=…:v=…,eq=…` gave the same neutral point at twice the
 * CPU: lutyuv runs its LUT over all three planes, luma included.) eq's chroma LUT is
 * 256·(s·(x/255 − ½) + ½)^(1/√gamma); gamma is solved so that x = 128 maps to the target (saturated colours
 * move a few levels less than neutral ones).
 */
function chromaShift(du: number, dv: number, saturation: number, contrast: number): string {
  const mid = saturation * (128 / 255 - 0.5) + 0.5;
  const gamma = (d: number): number => {
    const exponent = Math.log((128 + d + 0.5) / 256) / Math.log(mid);
    return Math.round(exponent ** -2 * 1e4) / 1e4;
  };
  return `eq=contrast=${contrast}:saturation=${saturation}:gamma_b=${gamma(du)}:gamma_r=${gamma(dv)}`;
}

/** Colour grades (local-engine.md §5); colorbalance/curves/eq exist in every build, colortemperature not. */
export const GRADES: Record<Look, string> = {
  // warm/cool shift the chroma planes directly (Cb down / Cr up, or the reverse): the same look as an RGB
  // colorbalance, without converting every frame yuv420p → gbrp → yuv420p (measured: ~2.7× the encode's CPU).
  warm: chromaShift(-7, 8, 1.1, 1.05),
  cool: chromaShift(7, -7, 1.05, 1),
  // teal-orange depends on brightness (teal shadows, orange highlights), which needs RGB colorbalance.
  cinematic:
    'colorbalance=rs=-.06:gs=.0:bs=.08:rm=-.02:bm=.03:rh=.08:gh=.02:bh=-.08,eq=contrast=1.1:saturation=1.1',
  vintage: 'curves=preset=vintage,eq=saturation=0.85',
  bw: 'hue=s=0,eq=contrast=1.1',
  vivid: 'eq=saturation=1.4:contrast=1.08',
};

export interface Preset {
  width: number;
  height: number;
  /** Portrait/square targets fill the frame: blurred copy behind (default) or a centre crop. */
  fill: boolean;
}

export const PRESETS: Record<PresetName, Preset> = {
  youtube: { width: 1920, height: 1080, fill: false },
  tiktok: { width: 1080, height: 1920, fill: true },
  square: { width: 1080, height: 1080, fill: true },
  portrait45: { width: 1080, height: 1350, fill: true },
  '4k': { width: 3840, height: 2160, fill: false },
};

/** Stabilize: vidstabtransform with the analysis pass's transforms, else deshake (one pass). */
export function stabilizeFilter(transformsFile: string | undefined): string {
  return transformsFile
    ? `vidstabtransform=input=${filterValue(transformsFile)}:smoothing=10:optzoom=1,unsharp=5:5:0.8:3:3:0.4`
    : 'deshake';
}

/**
 * Enhance: denoise, lanczos upscale in steps of at most 2× (to 1080p by default, never when already
 * ≥ 1080p; to `scale`× when asked, capped at 2160p), then sharpen.
 */
export function enhanceFilters(canvas: Canvas, scale?: number): { filters: string; canvas: Canvas } {
  const steps = ['hqdn3d=1.5:1.5:6:6'];
  const wanted =
    scale === undefined ? Math.max(canvas.height, 1080) : Math.round(canvas.height * Math.max(1, scale));
  const target = Math.min(wanted, Math.max(canvas.height, 2160));
  let height = canvas.height;
  let width = canvas.width;
  while (height < target) {
    const next = Math.min(target, height * 2);
    width = Math.round((width * next) / height / 2) * 2;
    height = Math.round(next / 2) * 2;
    steps.push(`scale=${width}:${height}:flags=lanczos`);
  }
  steps.push('unsharp=5:5:0.8:5:5:0.0', 'setsar=1');
  return { filters: steps.join(','), canvas: { ...canvas, width, height } };
}

/** Platform preset: fit into the target; portrait/square fill with a blurred copy (cheap: blurred at ¼ size) or crop. */
export function applyPreset(g: GraphBuilder, input: string, preset: Preset, crop: boolean): string {
  const { width: W, height: H } = preset;
  if (crop)
    return g.chain(
      input,
      `scale=${W}:${H}:force_original_aspect_ratio=increase:flags=lanczos,crop=${W}:${H},setsar=1`,
      'vp',
    );
  if (!preset.fill)
    return g.chain(
      input,
      `scale=${W}:${H}:force_original_aspect_ratio=decrease:flags=lanczos,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2,setsar=1`,
      'vp',
    );
  const [bg, fg] = g.split(input, 2, 'v') as [string, string];
  const w4 = Math.round(W / 8) * 2;
  const h4 = Math.round(H / 8) * 2;
  const blurred = g.chain(
    bg,
    `scale=${w4}:${h4}:force_original_aspect_ratio=increase,crop=${w4}:${h4},boxblur=10:2,scale=${W}:${H},setsar=1`,
    'vb',
  );
  const front = g.chain(
    fg,
    `scale=${W}:${H}:force_original_aspect_ratio=decrease:flags=lanczos,setsar=1`,
    'vf',
  );
  const out = g.label('vp');
  g.add([blurred, front], 'overlay=(W-w)/2:(H-h)/2,setsar=1', [out]);
  return out;
}

/** GIF: 15 fps, at most 480 px wide, palette generated and used inside the same graph. */
export function gifTail(g: GraphBuilder, input: string, canvas: Canvas): string {
  const width = Math.min(480, canvas.width);
  const scaled = g.chain(input, `fps=${Math.min(15, canvas.fps)},scale=${width}:-2:flags=lanczos`, 'vg');
  const [a, b] = g.split(scaled, 2, 'v') as [string, string];
  const palette = g.chain(a, 'palettegen=stats_mode=diff', 'pal');
  const out = g.label('vgif');
  g.add([b, palette], 'paletteuse=dither=bayer:bayer_scale=5', [out]);
  return out;
}

/** Whether stabilization can use the two-pass vidstab route on this build. */
export function hasVidstab(caps: Capabilities): boolean {
  return caps.filters.has('vidstabdetect') && caps.filters.has('vidstabtransform');
}
