/**
 * Footage as phones make it, checked on the OUTPUT with ffprobe/ffmpeg: portrait clips (display
 * rotation), variable frame rate, clips without audio.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EditInputError, localEdit, onFfmpegSpawn, type SpawnRecord } from '../../src/engine/index.js';
import {
  ffmpeg,
  framesRgb,
  makeTone,
  meanAbsDiff,
  meanRgb,
  probeStreams,
  tempDir,
} from '../helpers/media.js';
import {
  distinctFrames,
  makePhoneClip,
  makeVfrClip,
  videoFrameTimes,
  videoSideData,
} from '../helpers/phone-media.js';

// Real encodes on a shared, loaded machine: generous per-test time (no wall-clock assertion anywhere).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let dir: string;
let cleanup: () => Promise<void>;
/** 1 s 320×180 quadrant clips with each rotation tag (10 fps: no case here is about the rate), made at once. */
const rotated = {} as Record<0 | 90 | 180 | 270, string>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-phone-'));
  await Promise.all(
    ([0, 90, 180, 270] as const).map(async (rotate) => {
      rotated[rotate] = await makePhoneClip(path.join(dir, `rot${rotate}.mp4`), {
        durationS: 1,
        width: 320,
        height: 180,
        fps: 10,
        rotate,
      });
    }),
  );
});
afterAll(() => cleanup());

describe('portrait (rotated) clips keep their shape', () => {
  for (const rotate of [0, 90, 180, 270] as const) {
    it(`rotate=${rotate}: output at the shown size, upright pixels filling the frame, no rotation tag`, async () => {
      const src = rotated[rotate];
      const out = path.join(dir, `rot${rotate}.out.mp4`);
      await localEdit({ files: [src], instruction: 'export', outPath: out });
      const quarter = rotate % 180 === 90;
      const [w, h] = quarter ? [180, 320] : [320, 180];
      const video = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
      expect([video.width, video.height]).toEqual([w, h]);
      expect(await videoSideData(out)).toEqual([]);
      // The output's pixels are the source as shown (ffmpeg's autorotation), upright.
      // (frameRgb's frames, as ffmpeg shows them: autorotated, at the shown size; both in one run)
      const [expected, got] = await framesRgb(
        [
          [src, 0.5],
          [out, 0.5],
        ],
        w,
        h,
      );
      expect(meanAbsDiff(expected!, got!)).toBeLessThan(8);
      // And they fill the frame: every corner holds a quadrant colour (one channel near 255), no black bars.
      const box = 12;
      for (const [x, y] of [
        [2, 2],
        [w - box - 2, 2],
        [2, h - box - 2],
        [w - box - 2, h - box - 2],
      ] as const) {
        const rgb = meanRgb(got!, w, { x, y, w: box, h: box });
        expect(Math.max(...rgb)).toBeGreaterThan(200);
      }
    });
  }

  it('a portrait clip joined after a landscape one is fitted into the landscape canvas (first clip decides)', async () => {
    const [landscape, portrait] = [rotated[0], rotated[90]];
    const out = path.join(dir, 'land-then-portrait.mp4');
    await localEdit({ files: [landscape, portrait], instruction: 'join the clips', outPath: out });
    const video = (await probeStreams(out)).streams.find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height]).toEqual([320, 180]);
  });
});

describe('variable frame rate keeps every source frame', () => {
  let vfr: string;
  beforeAll(async () => {
    // 2 s at 30 fps then 2 s at 10 fps: 60 + 20 = 80 frames, average 20.3 fps, nominal 30.
    vfr = await makeVfrClip(path.join(dir, 'vfr.mp4'), 2, 2);
  });

  it('the output runs at the nominal 30 fps and holds all 80 distinct pictures', async () => {
    const sourceFrames = await distinctFrames(vfr);
    expect(sourceFrames).toBeGreaterThanOrEqual(78);
    const out = path.join(dir, 'vfr.out.mp4');
    await localEdit({ files: [vfr], instruction: 'export', outPath: out });
    const times = await videoFrameTimes(out);
    // Constant 30 fps over the 3.93 s source: ~118 frames, 1/30 s apart.
    expect(times.length).toBeGreaterThanOrEqual(115);
    const gaps = times.slice(1).map((t, k) => t - times[k]!);
    expect(Math.max(...gaps)).toBeLessThan(0.04);
    // No source picture dropped (at the 20.3 fps average, ~20 of the 60 fast frames were lost).
    expect(await distinctFrames(out)).toBeGreaterThanOrEqual(sourceFrames - 2);
  });

  it('cuts land on the 30 fps source timestamps (a 33 ms grid, not the 49 ms of the average rate)', async () => {
    const out = path.join(dir, 'vfr-cut.mp4');
    await localEdit({ files: [vfr], instruction: 'cut the first 1 second', outPath: out });
    const times = await videoFrameTimes(out);
    const d = Number((await probeStreams(out)).format.duration);
    const sourceS = Number((await probeStreams(vfr)).format.duration);
    expect(Math.abs(d - (sourceS - 1))).toBeLessThan(0.04);
    // The 30 fast frames after the cut all survive: 30 distinct pictures in the first second.
    expect(times.filter((t) => t < 1 - 1e-3).length).toBeGreaterThanOrEqual(29);
    expect(await distinctFrames(out)).toBeGreaterThanOrEqual(48);
  });
});

describe('a clip with no audio', () => {
  let silentFilm: string;
  beforeAll(async () => {
    // 1 s at 10 fps: the cases look at the streams, not at the length or rate
    silentFilm = await makePhoneClip(path.join(dir, 'noaudio.mp4'), { durationS: 1, fps: 10, audio: 'none' });
  });

  it('gains no invented audio stream (alone or joined with another clip without audio)', async () => {
    const out = path.join(dir, 'noaudio.out.mp4');
    await localEdit({ files: [silentFilm], instruction: 'add a title "Hi"', outPath: out });
    expect((await probeStreams(out)).streams.map((s) => s.codec_type)).toEqual(['video']);
    const joined = path.join(dir, 'noaudio-joined.mp4');
    await localEdit({ files: [silentFilm, silentFilm], instruction: 'join the clips', outPath: joined });
    expect((await probeStreams(joined)).streams.map((s) => s.codec_type)).toEqual(['video']);
    const webm = path.join(dir, 'noaudio.webm');
    await localEdit({ files: [silentFilm], instruction: 'export as webm', outPath: webm });
    expect((await probeStreams(webm)).streams.map((s) => s.codec_type)).toEqual(['video']);
  });

  it('with background music the output has the music as its one audio stream', async () => {
    const music = await makeTone(path.join(dir, 'music.wav'), 2);
    const out = path.join(dir, 'noaudio-music.mp4');
    await localEdit({ files: [silentFilm], instruction: `add background music ${music}`, outPath: out });
    const types = (await probeStreams(out)).streams.map((s) => s.codec_type);
    expect(types).toEqual(['video', 'audio']);
  });

  it('"trim silences" is refused before any analysis or encode: the clip has no audio', async () => {
    const spawns: SpawnRecord[] = [];
    const off = onFfmpegSpawn((r) => spawns.push(r));
    const out = path.join(dir, 'noaudio-trim.mp4');
    const err = await localEdit({ files: [silentFilm], instruction: 'trim silences', outPath: out }).catch(
      (e: unknown) => e,
    );
    off();
    expect(err).toBeInstanceOf(EditInputError);
    expect((err as EditInputError).kind).toBe('usage');
    expect((err as Error).message).toMatch(/noaudio\.mp4 has no audio/);
    expect(spawns.filter((s) => s.purpose === 'analysis' || s.purpose === 'encode')).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

it('fixtures: the rotated fixture really carries a rotation (so the tests above test something)', async () => {
  const src = rotated[90];
  expect((await videoSideData(src)).some((d) => Math.abs(d.rotation ?? 0) === 90)).toBe(true);
  // ffmpeg shows it 180×320
  const stderr = await ffmpeg(['-i', src, '-frames:v', '1', '-f', 'null', '-']);
  expect(stderr).toMatch(/180x320/);
});
