/**
 * Picture operations on the joined video: rotate / flip / centre crop to an aspect (`fx.picture`, in the
 * order asked) and a logo image in a corner (`fx.logo`). They change the canvas the later filters see.
 */
import { even } from '../draft-build.js';
import type { Fx, PictureStep } from '../model/index.js';
import type { GraphBuilder } from './graph.js';
import type { InputTable } from './inputs.js';
import type { Canvas } from './segments.js';

/** Rotate, flip and crop steps; returns the new label and canvas. */
export function pictureSteps(
  g: GraphBuilder,
  video: string,
  canvas: Canvas,
  steps: PictureStep[],
): { video: string; canvas: Canvas } {
  if (steps.length === 0) return { video, canvas };
  const filters: string[] = [];
  let c = canvas;
  for (const step of steps) {
    if ('rotate' in step && step.rotate !== 180) {
      filters.push(step.rotate === 90 ? 'transpose=clock' : 'transpose=cclock');
      c = { ...c, width: c.height, height: c.width };
    } else if ('rotate' in step) filters.push('hflip,vflip');
    else if ('flip' in step) filters.push(step.flip === 'horizontal' ? 'hflip' : 'vflip');
    else {
      const [a, b] = step.crop;
      const wide = c.width * b > c.height * a;
      const width = wide ? even((c.height * a) / b) : c.width;
      const height = wide ? c.height : even((c.width * b) / a);
      filters.push(`crop=${width}:${height}:${(c.width - width) >> 1}:${(c.height - height) >> 1}`);
      c = { ...c, width, height };
    }
  }
  filters.push('setsar=1');
  return { video: g.chain(video, filters.join(','), 'vpo'), canvas: c };
}

/** The logo of `fx.logo`, 15 % of the frame width, 3 % from the edges of its corner. */
export function logoOverlay(
  g: GraphBuilder,
  inputs: InputTable,
  video: string,
  canvas: Canvas,
  logo: Fx['logo'],
): string {
  if (!logo) return video;
  const index = inputs.add(['-i', logo.path]);
  const width = even(canvas.width * 0.15);
  const margin = Math.round(canvas.width * 0.03);
  const scaled = g.chain(`${index}:v:0`, `scale=${width}:-2,format=rgba`, 'lg');
  const x = logo.position.endsWith('left') ? String(margin) : `W-w-${margin}`;
  const y = logo.position.startsWith('top') ? String(margin) : `H-h-${margin}`;
  const out = g.label('vlg');
  g.add([video, scaled], `overlay=x=${x}:y=${y}:eof_action=repeat:format=auto`, [out]);
  return out;
}
