import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measureIntegratedLufs } from '../../src/engine/analysis/loudness.js';
import {
  draftFromMedia,
  EditInputError,
  EngineAbortedError,
  FfmpegFailedError,
  FfmpegNotFoundError,
  findFfmpeg,
  getCapabilities,
  localEdit,
  onFfmpegSpawn,
  probeMedia,
  type RenderProgress,
  renderDraft,
  type SpawnRecord,
  UnknownInstructionError,
} from '../../src/engine/index.js';
import { makeClip, probeStreams, tempDir } from '../helpers/media.js';

let dir: string;
let cleanup: () => Promise<void>;
let speech: string;
const savedFfmpegPath = process.env.FFMPEG_PATH;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // 10 fps: nothing here depends on the rate, and the TikTok-size encode has ⅓ the frames
  speech = await makeClip(path.join(dir, 'speech.mp4'), {
    durationS: 3,
    fps: 10,
    amplitude: 0.05,
    audio: [
      [0, 1],
      [2, 3],
    ],
  });
});
afterAll(() => cleanup());
afterEach(() => {
  if (savedFfmpegPath === undefined) delete process.env.FFMPEG_PATH;
  else process.env.FFMPEG_PATH = savedFfmpegPath;
});

/** Files in `dir` that look like leftovers of a render (temp outputs). */
async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('nemo-tmp'));
}

describe('one encode pass', () => {
  it('a four-operation instruction runs exactly one ffmpeg encode (counted through an FFMPEG_PATH wrapper)', async () => {
    // A wrapper that logs every ffmpeg invocation, like the benchmark does: analysis passes write to
    // `-f null`, capability probes write nothing; anything else is an encode.
    const log = path.join(dir, 'ffmpeg.log');
    const wrapper = path.join(dir, 'ffmpeg-wrapper.sh');
    const real = (await findFfmpeg()).ffmpeg;
    await writeFile(
      wrapper,
      // One write per call (O_APPEND), so the parallel capability probes cannot interleave their lines.
      `#!/bin/sh\nline=$(printf '%s' "$*" | tr '\\n' ' ')\nprintf '%s\\n' "$line" >> '${log}'\nexec '${real}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    process.env.FFMPEG_PATH = wrapper;
    const spawns: SpawnRecord[] = [];
    const stop = onFfmpegSpawn((r) => spawns.push(r));
    const out = path.join(dir, 'four-ops.mp4');
    try {
      const result = await localEdit({
        files: [speech],
        instruction: "trim silences, add title 'Hello', normalize audio, export for TikTok",
        outPath: out,
      });
      expect(result.plan.ops.map((o) => o.op)).toEqual(['trimSilence', 'title', 'loudnorm', 'preset']);
      expect(result.render.encodePasses).toBe(1);
    } finally {
      stop();
    }
    const invocations = (await readFile(log, 'utf8')).trim().split('\n');
    const encodes = invocations.filter(
      (line) => !/-f null - *$/.test(line) && !/^-hide_banner -(filters|encoders|version|h )/.test(line),
    );
    expect(encodes).toHaveLength(1);
    expect(encodes[0]).toContain('-filter_complex_script');
    // The analysis passes ran too (silencedetect and the loudnorm measurement), and wrote nothing.
    expect(invocations.some((l) => l.includes('silencedetect'))).toBe(true);
    expect(invocations.some((l) => l.includes('ebur128=peak=true') && /-f null - *$/.test(l))).toBe(true);
    expect(spawns.filter((s) => s.purpose === 'encode')).toHaveLength(1);
    // The result is right: TikTok size, normalized loudness at 48 kHz, shorter than the input.
    const { streams, format } = await probeStreams(out);
    const video = streams.find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height]).toEqual([1080, 1920]);
    expect(streams.find((s) => s.codec_type === 'audio')!.sample_rate).toBe('48000');
    expect(Number(format.duration)).toBeLessThan(2.9);
    expect(Math.abs((await measureIntegratedLufs('ffmpeg', out)) + 14)).toBeLessThanOrEqual(1);
  });
});

describe('runner', () => {
  it('reports progress from -progress pipe:1, ending at 1', async () => {
    const draft = draftFromMedia([{ src: speech, info: await probeMedia(speech) }]);
    const seen: RenderProgress[] = [];
    const result = await renderDraft(draft, path.join(dir, 'progress.mp4'), {
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]!.fraction).toBe(1);
    for (let k = 1; k < seen.length; k++)
      expect(seen[k]!.fraction).toBeGreaterThanOrEqual(seen[k - 1]!.fraction);
    expect(result).toMatchObject({ encodePasses: 1, durationMs: 3000 });
    expect(result.bytes).toBeGreaterThan(1000);
    expect(await leftovers()).toEqual([]);
  });

  it('abort kills ffmpeg, removes the partial output and throws EngineAbortedError', async () => {
    // 8 s upscaled to 4K with a blurred fill: a render of minutes, aborted at its first progress report
    const long = await makeClip(path.join(dir, 'long.mp4'), { durationS: 8 });
    const draft = draftFromMedia([{ src: long, info: await probeMedia(long) }]);
    draft.m!.fx = { preset: { name: '4k', fit: 'blur' } };
    const out = path.join(dir, 'aborted.mp4');
    const controller = new AbortController();
    let sawTemp = false;
    const rendering = renderDraft(draft, out, {
      signal: controller.signal,
      onProgress: () => {
        if (controller.signal.aborted) return;
        readdir(dir).then((files) => {
          sawTemp = files.some((f) => f.startsWith('.aborted.nemo-tmp-'));
          controller.abort();
        });
      },
    });
    await expect(rendering).rejects.toBeInstanceOf(EngineAbortedError);
    expect(sawTemp).toBe(true);
    expect((await readdir(dir)).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('abort during an analysis pass (silencedetect) stops the edit with EngineAbortedError, no output', async () => {
    const controller = new AbortController();
    const stop = onFfmpegSpawn((r) => {
      if (r.purpose === 'analysis') queueMicrotask(() => controller.abort());
    });
    const out = path.join(dir, 'aborted-analysis.mp4');
    const err = await localEdit({
      files: [speech],
      instruction: 'trim silences',
      outPath: out,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(EngineAbortedError);
    expect((await readdir(dir)).filter((f) => f.includes('aborted-analysis'))).toEqual([]);
  });

  it('an ffmpeg failure throws FfmpegFailedError with stderr and leaves no file', async () => {
    const bogus = path.join(dir, 'bogus.mp4');
    await writeFile(bogus, 'this is not a video');
    const draft = {
      t: [{ tt: 0, sg: [{ d: 1000, m: { src: bogus, in: 0, hasVideo: true, hasAudio: true } }] }],
      m: { width: 320, height: 180, fps: 30, fx: {} },
    };
    const out = path.join(dir, 'failed.mp4');
    const err = await renderDraft(draft, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegFailedError);
    expect((err as FfmpegFailedError).stderrTail).toMatch(/bogus\.mp4/);
    expect((await readdir(dir)).filter((f) => f.includes('failed'))).toEqual([]);
  });

  it('never leaves a partial file under the final name: an existing output survives a failed render', async () => {
    const out = path.join(dir, 'keep-me.mp4');
    await writeFile(out, 'previous render');
    const draft = {
      t: [
        {
          tt: 0,
          sg: [{ d: 1000, m: { src: path.join(dir, 'missing.mp4'), in: 0, hasVideo: true, hasAudio: true } }],
        },
      ],
      m: { width: 320, height: 180, fps: 30 },
    };
    await expect(renderDraft(draft, out)).rejects.toBeInstanceOf(FfmpegFailedError);
    expect(await readFile(out, 'utf8')).toBe('previous render');
  });
});

describe('errors before any work', () => {
  it('an unknown clause throws UnknownInstructionError listing what is supported, without spawning ffmpeg', async () => {
    const spawns: SpawnRecord[] = [];
    const stop = onFfmpegSpawn((r) => spawns.push(r));
    const err = await localEdit({
      files: [speech],
      instruction: 'trim silences, make it sparkle',
      outPath: path.join(dir, 'never.mp4'),
    }).catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(UnknownInstructionError);
    expect((err as UnknownInstructionError).unknown).toEqual(['make it sparkle']);
    expect((err as UnknownInstructionError).supported.length).toBeGreaterThan(10);
    expect(spawns).toEqual([]);
  });

  it('a missing input file is an EditInputError naming it', async () => {
    const missing = path.join(dir, 'nope.mp4');
    const err = await localEdit({
      files: [missing],
      instruction: 'export',
      outPath: path.join(dir, 'nope-out.mp4'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EditInputError);
    expect((err as Error).message).toContain(missing);
  });

  it('a missing ffmpeg gives FfmpegNotFoundError saying how to install it', async () => {
    const err = await findFfmpeg({ FFMPEG_PATH: path.join(dir, 'no-such-ffmpeg'), PATH: '' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegNotFoundError);
    expect((err as Error).message).toMatch(/apt-get install ffmpeg/);
    expect((err as Error).message).toMatch(/brew install ffmpeg/);
    expect((err as Error).message).toMatch(/FFMPEG_PATH/);
  });

  it('with an empty PATH the npm packages are the fallback, executable', async () => {
    const found = await findFfmpeg({ PATH: '' });
    expect(found.source).toBe('npm');
    expect(found.ffmpeg).toMatch(/@ffmpeg-installer/);
    expect(found.ffprobe).toMatch(/@ffprobe-installer/);
  });

  it('probes capabilities once per binary and caches them', async () => {
    const { ffmpeg } = await findFfmpeg();
    await getCapabilities(ffmpeg);
    const spawns: SpawnRecord[] = [];
    const stop = onFfmpegSpawn((r) => spawns.push(r));
    const caps = await getCapabilities(ffmpeg);
    stop();
    expect(spawns).toEqual([]);
    expect(caps.filters.has('concat')).toBe(true);
    expect(caps.encoders.has('aac')).toBe(true);
  });
});
