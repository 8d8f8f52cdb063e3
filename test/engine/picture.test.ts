import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileDraft,
  draftFromMedia,
  findFfmpeg,
  getCapabilities,
  localEdit,
  onFfmpegSpawn,
  probeMedia,
  type SpawnRecord,
} from '../../src/engine/index.js';
import {
  ffmpeg,
  frameRgb,
  framesRgb,
  makeClip,
  meanAbsDiff,
  meanRgb,
  probeStreams,
  tempDir,
} from '../helpers/media.js';

let dir: string;
let cleanup: () => Promise<void>;
/** 4 s mid-grey card (10 fps: no assertion here depends on the frame rate, and the renders encode ⅓ the frames). */
let grey: string;
/** A short moving pattern for the format/size/codec cases, which do not depend on its length. */
let short: string;

const W = 320;
const H = 180;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  grey = await makeClip(path.join(dir, 'grey.mp4'), { durationS: 4, fps: 10, picture: '0x808080' });
  short = await makeClip(path.join(dir, 'short.mp4'), { durationS: 0.5, fps: 10 });
});
afterAll(() => cleanup());

async function edit(instruction: string, name: string, file = grey, extra: { captionsPath?: string } = {}) {
  const out = path.join(dir, name);
  await localEdit({ files: [file], instruction, outPath: out, ...extra });
  return out;
}

async function videoStream(file: string) {
  const { streams, format } = await probeStreams(file);
  return {
    video: streams.find((s) => s.codec_type === 'video')!,
    audio: streams.find((s) => s.codec_type === 'audio'),
    format,
  };
}

/** The caption band differs from the source inside [fromS, toS] and not half a second outside it. */
async function expectCaptionOnlyDuring(out: string, fromS: number, toS: number): Promise<void> {
  const band = { x: 90, y: 140, w: 140, h: 35 };
  const times = [(fromS + toS) / 2, fromS - 0.5, toS + 0.5];
  // one ffmpeg run for all six frames: the output's and the source's at each time
  const f = await framesRgb(
    [...times.map((t): [string, number] => [out, t]), ...times.map((t): [string, number] => [grey, t])],
    W,
    H,
  );
  const at = (k: number) => meanAbsDiff(f[k]!, f[k + 3]!, W, band);
  expect(at(0)).toBeGreaterThan(8);
  expect(at(1)).toBeLessThan(3);
  expect(at(2)).toBeLessThan(3);
}

describe('picture operations, measured on output frames', () => {
  it('a title is visible in its box during its window and not after it', async () => {
    const out = await edit("add title 'Hello World'", 'title.mp4');
    const box = { x: 60, y: 70, w: 200, h: 40 };
    const [shown, later, source, sourceLater] = await framesRgb(
      [
        [out, 1.5],
        [out, 3.5],
        [grey, 1.5],
        [grey, 3.5],
      ],
      W,
      H,
    );
    const during = meanAbsDiff(shown!, source!, W, box);
    const after = meanAbsDiff(later!, sourceLater!, W, box);
    expect(during).toBeGreaterThan(15);
    expect(after).toBeLessThan(3);
    // Outside the box the frame is untouched while the title shows.
    const corner = { x: 0, y: 0, w: 40, h: 30 };
    expect(meanAbsDiff(shown!, source!, W, corner)).toBeLessThan(3);
  });

  it('a lower third sits in the lower part of the frame, with its box', async () => {
    const out = await edit("lower third 'Jane Doe' at 0s", 'lower.mp4');
    const bottom = { x: 10, y: 132, w: 90, h: 30 };
    const top = { x: 10, y: 10, w: 120, h: 30 };
    const [frame, source] = await framesRgb(
      [
        [out, 1.5],
        [grey, 1.5],
      ],
      W,
      H,
    );
    expect(meanAbsDiff(frame!, source!, W, bottom)).toBeGreaterThan(15);
    expect(meanAbsDiff(frame!, source!, W, top)).toBeLessThan(3);
  });

  it('captions from an SRT are burned in at their times', async () => {
    const srt = path.join(dir, 'subs.srt');
    await writeFile(srt, '1\n00:00:01,000 --> 00:00:02,000\nHello captions\n');
    const out = await edit('add captions', 'captions.mp4', grey, { captionsPath: srt });
    await expectCaptionOnlyDuring(out, 1, 2);
  });

  it('captions stay on their words when a cut comes after them in the instruction', async () => {
    const srt = path.join(dir, 'later.srt');
    await writeFile(srt, '1\n00:00:02,000 --> 00:00:03,000\nHello captions\n');
    const out = await edit('add captions, cut the first 1 second', 'captions-cut.mp4', grey, {
      captionsPath: srt,
    });
    await expectCaptionOnlyDuring(out, 1, 2);
  });

  it('without libass (no subtitles filter), captions are drawn per cue with drawtext, at their times', async () => {
    const { ffmpeg: ffmpegPath } = await findFfmpeg();
    const real = await getCapabilities(ffmpegPath);
    const caps = { ...real, filters: new Set([...real.filters].filter((f) => f !== 'subtitles')) };
    const draft = draftFromMedia([{ src: grey, info: await probeMedia(grey) }]);
    draft.t.push({ tt: 7, sg: [{ d: 1000, m: { text: 'Hello captions', style: 'caption', at: 1000 } }] });
    const compiled = compileDraft(draft, { caps, workDir: dir });
    expect(compiled.graph).not.toMatch(/subtitles=/);
    for (const f of compiled.files) await writeFile(f.path, f.content);
    const script = path.join(dir, 'captions-drawtext.filtergraph');
    await writeFile(script, compiled.graph);
    const out = path.join(dir, 'captions-drawtext.mp4');
    await ffmpeg([...compiled.inputs, '-filter_complex_script', script, ...compiled.outputArgs, out]);
    await expectCaptionOnlyDuring(out, 1, 2);
  });

  it('warm grading raises red and lowers blue on a grey card; cool does the opposite; b&w removes colour', async () => {
    const warm = await edit('make it warm', 'warm.mp4');
    const cool = await edit('cool grade', 'cool.mp4');
    const [[r0, , b0], [rw, , bw], [rc, , bc]] = (
      await framesRgb(
        [
          [grey, 1],
          [warm, 1],
          [cool, 1],
        ],
        32,
        18,
      )
    ).map((f) => meanRgb(f));
    expect(rw).toBeGreaterThan(r0! + 4);
    expect(bw).toBeLessThan(b0! - 4);
    expect(rc).toBeLessThan(r0! - 4);
    expect(bc).toBeGreaterThan(b0! + 4);
  });

  it('black & white removes colour from a coloured pattern', async () => {
    const [r, g, b] = meanRgb(await frameRgb(await edit('black and white', 'bw.mp4', short), 0.25, 64, 36));
    expect(Math.max(Math.abs(r - g), Math.abs(g - b), Math.abs(r - b))).toBeLessThan(3);
  });

  it.each([
    ['export for TikTok', 1080, 1920],
    ['export for TikTok with crop', 1080, 1920],
    ['instagram square', 1080, 1080],
    ['instagram 4:5', 1080, 1350],
    ['export for YouTube', 1920, 1080],
  ])('%s → %d×%d exactly', async (instruction, width, height) => {
    const out = await edit(instruction, `${instruction.replace(/\W+/g, '-')}.mp4`, short);
    const { video } = await videoStream(out);
    expect([video.width, video.height]).toEqual([width, height]);
    expect(video.pix_fmt).toBe('yuv420p');
  });

  it('"upscale 2x" doubles the size (320×180 → 640×360) and stabilize/denoise/vintage run in the same pass', async () => {
    const spawns: SpawnRecord[] = [];
    const stop = onFfmpegSpawn((r) => spawns.push(r));
    const out = await edit('stabilize, upscale 2x, denoise the audio, vintage', 'enhance.mp4', short);
    stop();
    const { video, audio } = await videoStream(out);
    expect([video.width, video.height]).toEqual([640, 360]);
    expect(audio?.sample_rate).toBe('48000');
    // vidstab: a detect pass writing transforms (no encode), then the transform inside the one encode.
    const analysis = spawns.filter((s) => s.purpose === 'analysis');
    const encodes = spawns.filter((s) => s.purpose === 'encode');
    expect(encodes).toHaveLength(1);
    // With vidstab: one detect pass (no encode); without it, deshake inside the encode.
    const { filters } = await getCapabilities((await findFfmpeg()).ffmpeg);
    expect(analysis).toHaveLength(filters.has('vidstabdetect') ? 1 : 0);
    for (const pass of analysis) expect(pass.args.slice(-3)).toEqual(['-f', 'null', '-']);
    const graphOf = async (r: SpawnRecord) =>
      readFile(r.args[r.args.indexOf('-filter_complex_script') + 1]!, 'utf8').catch(() => '');
    expect(encodes[0]!.args).toContain('-filter_complex_script');
    expect(await graphOf(encodes[0]!)).toBe(''); // the work dir is removed after the render
  });

  it('a .cube LUT grades the picture, even from a path with a colon, quote and spaces', async () => {
    const lutDir = path.join(dir, "it's a: dir");
    await mkdir(lutDir);
    // 2×2×2 LUT that maps every colour to a fixed red-ish tone.
    const lut = path.join(lutDir, 'red look.cube');
    await writeFile(lut, `LUT_3D_SIZE 2\n${'0.9 0.1 0.1\n'.repeat(8)}`);
    const out = await edit(`apply the LUT "${lut}"`, 'lut.mp4');
    const [r, g, b] = meanRgb(await frameRgb(out, 1, 32, 18));
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('title text is taken literally (colons, percent signs, quotes)', async () => {
    const out = await edit('add title “Urban: 100% it\'s "real"”', 'literal.mp4');
    const box = { x: 20, y: 70, w: 280, h: 40 };
    const [frame, source] = await framesRgb(
      [
        [out, 1.5],
        [grey, 1.5],
      ],
      W,
      H,
    );
    expect(meanAbsDiff(frame!, source!, W, box)).toBeGreaterThan(15);
  });

  it('outputs webm (VP9/Opus) and gif', async () => {
    const webm = await videoStream(await edit('export as webm', 'out.webm', short));
    expect(webm.video.codec_name).toBe('vp9');
    expect(webm.audio?.codec_name).toBe('opus');
    const gif = await videoStream(await edit('export as a gif', 'out.gif', short));
    expect(gif.video.codec_name).toBe('gif');
    expect(gif.audio).toBeUndefined();
    // Without a format in the instruction, the output's extension decides.
    const byName = await videoStream(await edit('export', 'by-name.webm', short));
    expect(byName.video.codec_name).toBe('vp9');
  });

  it('mp4 output is H.264/AAC 48 kHz with the moov atom first (+faststart)', async () => {
    const out = await edit('export', 'plain.mp4', short);
    const { video, audio } = await videoStream(out);
    expect(video.codec_name).toBe('h264');
    expect(audio?.codec_name).toBe('aac');
    expect(audio?.sample_rate).toBe('48000');
    const { readFile } = await import('node:fs/promises');
    const head = (await readFile(out)).subarray(0, 64 * 1024).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(-1);
    expect(head.indexOf('moov')).toBeLessThan(head.indexOf('mdat'));
  });
});
