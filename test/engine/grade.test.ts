import { describe, expect, it } from 'vitest';
import { GRADES } from '../../src/engine/compile/video-fx.js';
import { ffmpeg } from '../helpers/media.js';

/** The grades before they became one `eq` (lutyuv over all three planes, then eq): the look to keep. */
const FORMER = {
  warm: "lutyuv=u='clip(val-6,0,255)':v='clip(val+8,0,255)',eq=saturation=1.1:contrast=1.05",
  cool: "lutyuv=u='clip(val+8,0,255)':v='clip(val-6,0,255)',eq=saturation=1.05",
};

/** Mean Y, U, V (signalstats) of one 64×64 yuv420p frame of `colour` after `filters`. */
async function yuvAfter(colour: string, filters: string): Promise<[number, number, number]> {
  const log = await ffmpeg([
    ...['-f', 'lavfi', '-i', `color=c=${colour}:s=64x64:d=0.04`],
    ...['-vf', `format=yuv420p,${filters},signalstats,metadata=print`, '-f', 'null', '-'],
  ]);
  const avg = (plane: string): number =>
    Number(new RegExp(`signalstats\\.${plane}AVG=([\\d.]+)`).exec(log)?.[1]);
  return [avg('Y'), avg('U'), avg('V')];
}

describe('warm and cool grades: one eq, the former look', () => {
  it('are a single eq (chroma through gamma_b/gamma_r), no lutyuv', () => {
    for (const look of ['warm', 'cool'] as const) {
      expect(GRADES[look]).toMatch(/^eq=[^,]*gamma_b=[\d.]+:gamma_r=[\d.]+$/);
      expect(GRADES[look]).not.toMatch(/lutyuv/);
    }
  });

  it('move a grey card exactly where the former lutyuv + eq moved it', async () => {
    for (const look of ['warm', 'cool'] as const) {
      expect(await yuvAfter('0x808080', GRADES[look])).toEqual(await yuvAfter('0x808080', FORMER[look]));
    }
    const [, u, v] = await yuvAfter('0x808080', GRADES.warm);
    expect(u).toBeLessThan(128 - 5);
    expect(v).toBeGreaterThan(128 + 5);
  });

  it('move natural colours (skin, sky, foliage) to within 2 levels of the former look', async () => {
    for (const colour of ['0xC68E6E', '0x87A9D0', '0x4F7A3A', '0xE0C8A8']) {
      for (const look of ['warm', 'cool'] as const) {
        const now = await yuvAfter(colour, GRADES[look]);
        const before = await yuvAfter(colour, FORMER[look]);
        for (let k = 0; k < 3; k++) expect(Math.abs(now[k]! - before[k]!)).toBeLessThanOrEqual(2);
      }
    }
  });
});
