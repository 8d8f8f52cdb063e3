/**
 * The operations added with issue 13, planned from words and rendered with real ffmpeg on generated
 * clips; each is checked on the output (durations, frames, sound levels).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEdit } from '../../src/engine/index.js';
import {
  ffmpeg,
  frameRgb,
  framesRgb,
  makeClip,
  meanRgb,
  probeStreams,
  streamDurations,
  tempDir,
} from '../helpers/media.js';

const run = promisify(execFile);
let dir: string;
let cleanup: () => Promise<void>;
/** 10 s, black, with a white picture only during source 6-7 s; tone throughout. */
let marked: string;
/** 4 s, white picture with a black left half; tone throughout. */
let halves: string;
/** 8 s: tone 0-2 s and 6-8 s, silence 2-6 s. */
let gappy: string;
let logo: string;

const W = 320;
const H = 180;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  marked = await makeClip(path.join(dir, 'marked.mp4'), {
    durationS: 10,
    picture: 'black',
    videoFilter: `drawbox=c=white:t=fill:enable='between(t,6,6.999)'`,
  });
  halves = await makeClip(path.join(dir, 'halves.mp4'), {
    durationS: 4,
    picture: 'white',
    videoFilter: 'drawbox=x=0:y=0:w=160:h=180:c=black:t=fill',
  });
  gappy = await makeClip(path.join(dir, 'gappy.mp4'), {
    durationS: 8,
    audio: [
      [0, 2],
      [6, 8],
    ],
  });
  logo = path.join(dir, 'brand.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=64x64:d=1', '-frames:v', '1', logo]);
}, 60_000);
afterAll(() => cleanup());

async function edit(file: string, instruction: string, name: string): Promise<string> {
  const out = path.join(dir, name);
  await localEdit({ files: [file], instruction, outPath: out });
  return out;
}

/** Mean volume (dBFS) of the output's audio within [fromS, fromS + lengthS). */
async function meanVolume(file: string, fromS: number, lengthS: number): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-nostdin',
    '-hide_banner',
    '-ss',
    String(fromS),
    '-t',
    String(lengthS),
    '-i',
    file,
    '-vn',
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  return m?.[1] === '-inf' || !m ? -120 : Number(m[1]);
}

const brightness = async (file: string, t: number, w = W, h = H): Promise<number> =>
  meanRgb(await frameRgb(file, t, w, h))[0];

/** The brightness of `file` at each of `times`, read in one ffmpeg run. */
const brightnesses = async (file: string, times: number[]): Promise<number[]> =>
  (
    await framesRgb(
      times.map((t): [string, number] => [file, t]),
      W,
      H,
    )
  ).map((f) => meanRgb(f)[0]);

describe('several cuts in one instruction are read on the input timeline', () => {
  it('"cut 0:02-0:03 and 0:05-0:06" removes exactly those seconds (the white second 6-7 lands at 4-5 s)', async () => {
    const out = await edit(marked, 'cut 0:02-0:03 and 0:05-0:06', 'two-cuts.mp4');
    const d = await streamDurations(out);
    expect(d.video).toBeCloseTo(8, 1);
    expect(d.audio).toBeCloseTo(8, 1);
    // One after the other, the second cut would remove source 6-7 s (the white second) instead.
    const [white, before, after] = await brightnesses(out, [4.5, 3.5, 5.5]);
    expect(white).toBeGreaterThan(200);
    expect(before).toBeLessThan(30);
    expect(after).toBeLessThan(30);
  });

  it('"cut the first 2 seconds and the last 2 seconds" leaves the middle 6 s', async () => {
    const out = await edit(marked, 'cut the first 2 seconds and the last 2 seconds', 'ends.mp4');
    expect((await streamDurations(out)).video).toBeCloseTo(6, 1);
    // source 6-7 s is now 4-5 s
    expect(await brightness(out, 4.5)).toBeGreaterThan(200);
  });
});

describe('fades, volume and muting a range, measured on the output', () => {
  it('"fade in and fade out" darkens and quietens both ends, not the middle', async () => {
    const out = await edit(halves, 'add a fade in and fade out', 'fades.mp4');
    const box = { x: 200, y: 40, w: 100, h: 100 }; // in the white half
    const [start, middleFrame, end] = (
      await framesRgb(
        [
          [out, 0.05],
          [out, 2],
          [out, 3.93],
        ],
        W,
        H,
      )
    ).map((f) => meanRgb(f, W, box)[0]);
    expect(start).toBeLessThan(60);
    expect(middleFrame).toBeGreaterThan(230);
    expect(end).toBeLessThan(60);
    const middle = await meanVolume(out, 1.5, 1);
    expect(await meanVolume(out, 0, 0.1)).toBeLessThan(middle - 10);
    expect(await meanVolume(out, 3.9, 0.1)).toBeLessThan(middle - 10);
  });

  it('"mute 0:01-0:02" silences that second only', async () => {
    const out = await edit(halves, 'mute 0:01-0:02', 'mute-range.mp4');
    expect(await meanVolume(out, 1.2, 0.6)).toBeLessThan(-80);
    expect(await meanVolume(out, 2.5, 1)).toBeGreaterThan(-20);
    expect((await streamDurations(out)).audio).toBeCloseTo(4, 1);
  });

  it('"volume down 6 dB" lowers the level by 6 dB (against the same render at 100%)', async () => {
    // Not against the source: the engine's mono → stereo upmix is itself −3 dB per channel.
    const before = await meanVolume(await edit(halves, 'volume to 100%', 'unity.mp4'), 1, 2);
    const out = await edit(halves, 'volume down 6 dB', 'quieter.mp4');
    expect(await meanVolume(out, 1, 2)).toBeCloseTo(before - 6, 0);
  });
});

describe('rotate, flip, crop, logo', () => {
  it('"rotate 90" turns 320×180 into 180×320, the black left half on top', async () => {
    const out = await edit(halves, 'rotate 90', 'rotated.mp4');
    const v = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([180, 320]);
    const frame = await frameRgb(out, 1, 180, 320);
    // clockwise: the left (black) half of the source becomes the top half
    expect(meanRgb(frame, 180, { x: 20, y: 20, w: 140, h: 120 })[0]).toBeLessThan(30);
    expect(meanRgb(frame, 180, { x: 20, y: 180, w: 140, h: 120 })[0]).toBeGreaterThan(220);
  });

  it('"flip it" mirrors left and right', async () => {
    const out = await edit(halves, 'flip it', 'flipped.mp4');
    const frame = await frameRgb(out, 1, W, H);
    expect(meanRgb(frame, W, { x: 20, y: 20, w: 120, h: 140 })[0]).toBeGreaterThan(220);
    expect(meanRgb(frame, W, { x: 180, y: 20, w: 120, h: 140 })[0]).toBeLessThan(30);
  });

  it('"crop to 9:16" is a centre crop at the source resolution (102×180)', async () => {
    const out = await edit(halves, 'crop to 9:16', 'cropped.mp4');
    const v = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([102, 180]);
  });

  it('"add logo brand.png top left" puts the image in that corner for the whole clip', async () => {
    const out = path.join(dir, 'logo.mp4');
    await localEdit({ files: [halves], instruction: `add logo ${logo} top left`, outPath: out });
    for (const frame of await framesRgb(
      [
        [out, 0.2],
        [out, 3.5],
      ],
      W,
      H,
    )) {
      // 15 % of 320 = 48 px wide, 10 px from the edges, over the black half
      expect(meanRgb(frame, W, { x: 14, y: 14, w: 40, h: 40 })[0]).toBeGreaterThan(220);
      expect(meanRgb(frame, W, { x: 70, y: 100, w: 40, h: 40 })[0]).toBeLessThan(30);
    }
    expect((await streamDurations(out)).video).toBeCloseTo(4, 1);
  });
});

describe('fit a limit, speed up silences', () => {
  it('"make it fit in 3 seconds" trims the end to 3 s; a clip that fits is left alone', async () => {
    const out = await edit(halves, 'make it fit in 3 seconds', 'fit.mp4');
    expect((await streamDurations(out)).video).toBeLessThanOrEqual(3.001);
    expect((await streamDurations(out)).video).toBeGreaterThan(2.9);
    const result = await localEdit({
      files: [halves],
      instruction: 'make it fit Shorts',
      outPath: path.join(dir, 'fits.mp4'),
    });
    expect(result.notes[0]).toMatch(/fits YouTube Shorts's limit of 60 s already/);
    expect(result.render.durationMs).toBeCloseTo(4000, -2);
  });

  it('"speed up silences 4x" plays the 4 s gap (less margins) 4× faster and keeps picture and sound together', async () => {
    const result = await localEdit({
      files: [gappy],
      instruction: 'speed up silences 4x',
      outPath: path.join(dir, 'silent-speed.mp4'),
    });
    // silence 2-6 s, 0.2 s margins: 3.6 s at 4× = 0.9 s; the rest (4.4 s) at 1×
    const d = await streamDurations(result.outPath);
    expect(d.video).toBeCloseTo(5.3, 1);
    expect(Math.abs((d.video ?? 0) - (d.audio ?? 0))).toBeLessThan(0.05);
    // the tone after the gap starts at 2.2 + 0.9 + 0.2 = 3.3 s of the result
    expect(await meanVolume(result.outPath, 3.5, 0.5)).toBeGreaterThan(-20);
    expect(await meanVolume(result.outPath, 2.5, 0.3)).toBeLessThan(-60);
  });
});
