/**
 * Smart rendering (src/engine/smart/): a cut-only edit of a phone-like H.264 clip copies the GOPs no cut
 * touches and re-encodes only the frames around the cuts. Proven on the output: clean decode (also with
 * the in-band parameter sets stripped, like a strict player reading only the avcC), the expected frames at
 * even timestamps, copied frames bit-identical to the source's, re-encoded frames close to the source and
 * to the full re-encode, audio as long as the video. Plus the eligibility rules and the fallbacks.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftFromMedia } from '../../src/engine/draft-build.js';
import { findFfmpeg, getCapabilities } from '../../src/engine/ffmpeg.js';
import { EngineAbortedError, localEdit, onFfmpegSpawn } from '../../src/engine/index.js';
import { probeMedia } from '../../src/engine/probe.js';
import { ppsId, readAvcC, spsId } from '../../src/engine/smart/avcc.js';
import { checkDraft } from '../../src/engine/smart/eligibility.js';
import { decideRenderPath } from '../../src/engine/smart/render-hook.js';
import { planPieces, x264ParamsFromOptions } from '../../src/engine/smart/smart-render.js';
import type { Draft } from '../../src/timeline/index.js';
import { ffmpeg, streamDurations, tempDir, toneExpression } from '../helpers/media.js';

const run = promisify(execFile);
const FPS = 30;
let dir: string;
let cleanup: () => Promise<void>;
let phone: string;
let longGop: string;

/** Speech-like tone bursts with pauses long enough for "trim silences". */
const SPEECH: [number, number][] = [
  [0, 2.3],
  [3.6, 6.1],
  [7.5, 10.4],
  [11.8, 14],
];

async function makeH264(file: string, durationS: number, x264: string[], size = '1280x720'): Promise<string> {
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=${size}:r=${FPS}:d=${durationS}`],
    ...['-f', 'lavfi', '-i', `aevalsrc='${toneExpression(SPEECH)}':s=48000:d=${durationS}`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...x264],
    ...['-c:a', 'aac', '-b:a', '128k', '-shortest', file],
  ]);
  return file;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-smart-'));
  // Phone-like: High@4.0, 3 B-frames, 1 s closed GOPs (x264's default is closed).
  phone = await makeH264(
    path.join(dir, 'phone.mp4'),
    14,
    '-profile:v high -level 4.0 -g 30 -keyint_min 30 -sc_threshold 0 -bf 3'.split(' '),
  );
  // x264's defaults: GOP 250, so a 14 s clip has a single keyframe.
  longGop = await makeH264(path.join(dir, 'long-gop.mp4'), 14, []);
}, 240_000);
afterAll(() => cleanup());

/** `ffmpeg -v error` output of a full decode (empty = clean). */
async function decodeErrors(file: string, extra: string[] = []): Promise<string> {
  const { stderr } = await run('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    ...extra,
    '-i',
    file,
    '-f',
    'null',
    '-',
  ]);
  return stderr.trim();
}

/** `file`'s video with the in-band SPS/PPS removed: what a player that reads only the avcC can decode. */
async function stripInBandSets(file: string, out: string): Promise<void> {
  await ffmpeg([
    '-v',
    'error',
    '-i',
    file,
    '-map',
    '0:v',
    '-c',
    'copy',
    '-bsf:v',
    'filter_units=remove_types=7|8',
    out,
  ]);
}

/** Per-frame md5 of the decoded video, with each frame's pts (in 1/fps units). */
async function frameMd5(file: string): Promise<{ pts: number; md5: string }[]> {
  const out = path.join(dir, `${path.basename(file)}.${Math.random().toString(36).slice(2)}.md5`);
  await ffmpeg(['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', out]);
  return (await readFile(out, 'utf8'))
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((f) => f.trim()))
    .filter((f) => f[0] === '0')
    .map((f) => ({ pts: Number(f[2]), md5: f[5]! }));
}

/** Per-frame PSNR (average over planes) of `a`'s frames vs `b`'s frames at the given indices. */
async function psnrFrames(a: string, aFrames: number[], b: string, bFrames: number[]): Promise<number[]> {
  // runs of consecutive indices as between() terms (one eq() per frame overflows the expression parser)
  const pick = (frames: number[]) => {
    const runs: [number, number][] = [];
    for (const n of frames) {
      const last = runs[runs.length - 1];
      if (last && n === last[1] + 1) last[1] = n;
      else runs.push([n, n]);
    }
    return `select='${runs.map(([a, b]) => `between(n,${a},${b})`).join('+')}',setpts=N/${FPS}/TB`;
  };
  const stats = path.join(dir, `psnr-${Math.random().toString(36).slice(2)}.txt`);
  const script = path.join(dir, `psnr-${Math.random().toString(36).slice(2)}.graph`);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(script, `[0:v]${pick(aFrames)}[a];[1:v]${pick(bFrames)}[b];[a][b]psnr=stats_file=${stats}`);
  await ffmpeg(['-v', 'error', '-i', a, '-i', b, '-filter_complex_script', script, '-f', 'null', '-']);
  return (await readFile(stats, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const v = /psnr_avg:(\S+)/.exec(l)![1]!;
      return v === 'inf' ? Number.POSITIVE_INFINITY : Number(v);
    });
}

/** The source frames the full path's trim picks for a segment (half a frame early, exactly d long). */
function keptFrames(draft: Draft): number[] {
  const out: number[] = [];
  for (const s of draft.t[0]!.sg) {
    const start = s.m?.in ?? 0;
    const from = Math.ceil(((start - 500 / FPS) * FPS) / 1000 - 1e-6);
    const count = Math.ceil((s.d * FPS) / 1000 - 1e-6);
    for (let k = 0; k < count; k++) out.push(from + k);
  }
  return out;
}

/** The same edit of the phone clip twice: the default (smart where eligible) into `<name>-smart.mp4`, and `--reencode` into `<name>-full.mp4`. */
async function bothPaths(instruction: string, name: string) {
  const edit = (suffix: string, reencode: boolean) =>
    localEdit({ files: [phone], instruction, outPath: path.join(dir, `${name}-${suffix}.mp4`), reencode });
  return { smart: await edit('smart', false), full: await edit('full', true) };
}

describe('smart render: trim silences on a phone-like clip', () => {
  let smart: Awaited<ReturnType<typeof localEdit>>;
  let full: Awaited<ReturnType<typeof localEdit>>;
  const smartOut = () => path.join(dir, 'trim-smart.mp4');
  const fullOut = () => path.join(dir, 'trim-full.mp4');

  beforeAll(async () => {
    ({ smart, full } = await bothPaths('trim silences', 'trim'));
  }, 300_000);

  it('takes the smart path by default (the full one with reencode, which says so), and says so in the notes', () => {
    expect(smart.render.renderPath?.path).toBe('smart');
    expect(smart.draft.t[0]!.sg.length).toBeGreaterThanOrEqual(3);
    expect(smart.notes.some((n) => n.startsWith('smart render:'))).toBe(true);
    expect(full.render.renderPath).toEqual({ path: 'full', reasons: ['a full re-encode was asked for'] });
    expect(full.notes.some((n) => n.startsWith('smart render:'))).toBe(false);
  });

  it('decodes without an error, also with the in-band SPS/PPS stripped (a strict player reads only the avcC)', async () => {
    expect(await decodeErrors(smartOut())).toBe('');
    const strict = path.join(dir, 'strict.mp4');
    await stripInBandSets(smartOut(), strict);
    expect(await decodeErrors(strict)).toBe('');
  });

  it('has the frames the full path has, at evenly spaced, increasing timestamps; audio as long as the video', async () => {
    const frames = await frameMd5(smartOut());
    const reference = await frameMd5(fullOut());
    expect(frames.length).toBe(reference.length);
    expect(frames.length).toBe(keptFrames(smart.draft).length);
    expect(frames.map((f) => f.pts)).toEqual(frames.map((_, k) => k));
    const d = await streamDurations(smartOut());
    expect(Math.abs(d.video! - d.audio!)).toBeLessThanOrEqual(1 / FPS + 0.001);
    expect(Math.abs(d.video! - smart.render.durationMs / 1000)).toBeLessThanOrEqual(1 / FPS + 0.001);
  });

  it('copies the GOPs inside each kept part bit for bit, and re-encodes the rest within 40 dB of the source', async () => {
    const kept = keptFrames(smart.draft);
    const src = await frameMd5(phone);
    const out = await frameMd5(smartOut());
    // Inside a kept part, whole GOPs (keyframe every 30 frames) are copied: the decoded frames are the source's.
    const copied: number[] = [];
    const encoded: number[] = [];
    let k = 0;
    for (const s of smart.draft.t[0]!.sg) {
      const count = Math.ceil((s.d * FPS) / 1000 - 1e-6);
      const from = kept[k]!;
      const firstKey = Math.ceil(from / 30) * 30;
      const lastKey = Math.floor((from + count) / 30) * 30;
      for (let j = 0; j < count; j++) {
        const n = from + j;
        (lastKey > firstKey && n >= firstKey && n < lastKey ? copied : encoded).push(k + j);
      }
      k += count;
    }
    expect(copied.length).toBeGreaterThan(out.length / 2);
    expect(encoded.length).toBeGreaterThan(0);
    for (const i of copied)
      expect(out[i]!.md5, `output frame ${i} = source frame ${kept[i]}`).toBe(src[kept[i]!]!.md5);
    const db = await psnrFrames(
      smartOut(),
      encoded,
      phone,
      encoded.map((i) => kept[i]!),
    );
    expect(db).toHaveLength(encoded.length);
    for (const v of db) expect(v).toBeGreaterThanOrEqual(40);
    // And no re-encoded frame is bit-identical by accident of a misplaced copy.
    expect(copied.length + encoded.length).toBe(out.length);
  });

  it('agrees with the full re-encode frame by frame (within the full path’s own loss)', async () => {
    const n = (await frameMd5(smartOut())).length;
    const all = Array.from({ length: n }, (_, i) => i);
    const db = await psnrFrames(smartOut(), all, fullOut(), all);
    expect(db).toHaveLength(n);
    for (const v of db) expect(v).toBeGreaterThanOrEqual(35);
  });
});

describe('smart render: a title over the first seconds, music', () => {
  let titled: Awaited<ReturnType<typeof localEdit>>;
  let titledFull: Awaited<ReturnType<typeof localEdit>>;
  const out = () => path.join(dir, 'title-smart.mp4');
  const fullOut = () => path.join(dir, 'title-full.mp4');

  beforeAll(async () => {
    ({ smart: titled, full: titledFull } = await bothPaths("add a title 'Urban Dreams'", 'title'));
  }, 300_000);

  it('re-encodes only the GOPs under the title (drawn as the full path draws it), copies the rest and the sound', async () => {
    expect(titled.render.renderPath).toMatchObject({ path: 'smart' });
    const text = titled.draft.t.find((t) => t.tt === 7)!.sg[0]!;
    const endFrame = Math.ceil((((text.m?.at ?? 0) + text.d) * FPS) / 1000);
    const src = await frameMd5(phone);
    const got = await frameMd5(out());
    expect(got.length).toBe(src.length);
    expect(got.map((f) => f.pts)).toEqual(got.map((_, k) => k));
    // GOPs are 30 frames: the ones the title touches are re-encoded, every later one is the source's
    const firstCopied = Math.ceil((endFrame + 1) / 30) * 30;
    for (let i = firstCopied; i < src.length; i++) expect(got[i]!.md5, `frame ${i}`).toBe(src[i]!.md5);
    const under = Array.from({ length: endFrame - 1 }, (_, i) => i + 1);
    // the title is there: those frames are not the source's, and they agree with the full path's
    expect(under.filter((i) => got[i]!.md5 === src[i]!.md5)).toEqual([]);
    const db = await psnrFrames(out(), under, fullOut(), under);
    for (const v of db) expect(v).toBeGreaterThanOrEqual(35);
    expect(titled.render.renderPath?.copiedFrames).toBe(src.length - firstCopied);
    // the sound was left alone: its packets are the source's, byte for byte
    const audioMd5 = async (f: string) =>
      (await run('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:a:0', '-c', 'copy', '-f', 'md5', '-'])).stdout;
    expect(await audioMd5(out())).toBe(await audioMd5(phone));
    expect(await audioMd5(fullOut())).not.toBe(await audioMd5(phone));
    expect(await decodeErrors(out())).toBe('');
    expect(titledFull.render.renderPath?.path).toBe('full');
  });

  it("music mixed in: the picture is copied whole, the sound is the full path's mix", async () => {
    const song = path.join(dir, 'song.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=660:duration=14', '-c:a', 'aac', song]);
    const o = path.join(dir, 'music-smart.mp4');
    const full = path.join(dir, 'music-full.mp4');
    const { smart: r } = await bothPaths(`add background music ${song}`, 'music');
    expect(r.render.renderPath).toMatchObject({ path: 'smart' });
    const src = await frameMd5(phone);
    const got = await frameMd5(o);
    expect(got.map((f) => f.md5)).toEqual(src.map((f) => f.md5));
    const d = await streamDurations(o);
    expect(Math.abs(d.video! - d.audio!)).toBeLessThanOrEqual(1 / FPS + 0.03);
    // the same mix as the full path: both decoded to PCM agree closely
    const pcm = async (f: string) =>
      (
        await run(
          'ffmpeg',
          ['-v', 'error', '-i', f, '-map', '0:a:0', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'],
          { encoding: 'buffer', maxBuffer: 1 << 26 },
        )
      ).stdout as Buffer;
    const [a, b] = [await pcm(o), await pcm(full)];
    expect(Math.abs(a.length - b.length)).toBeLessThanOrEqual(2 * 8000 * 0.05);
    let err = 0;
    let sig = 0;
    for (let i = 0; i + 1 < Math.min(a.length, b.length); i += 2) {
      const x = a.readInt16LE(i);
      const y = b.readInt16LE(i);
      err += (x - y) ** 2;
      sig += y ** 2;
    }
    expect(sig).toBeGreaterThan(0);
    expect(10 * Math.log10(sig / Math.max(1, err))).toBeGreaterThan(20);
  }, 180_000);
});

describe('smart render: a source whose encoder libx264 cannot repeat (no x264 options, like a phone’s)', () => {
  it('re-encodes with parameter sets of its own, listed in the avcC beside the source’s: a strict player decodes it', async () => {
    // the phone clip without x264's options SEI: nemo cannot know (or repeat) the encoder's settings
    const hw = path.join(dir, 'hw.mp4');
    await ffmpeg(['-v', 'error', '-i', phone, '-c', 'copy', '-bsf:v', 'filter_units=remove_types=6', hw]);
    const o = path.join(dir, 'hw-smart.mp4');
    const r = await localEdit({ files: [hw], instruction: 'trim silences', outPath: o });
    expect(r.render.renderPath).toMatchObject({ path: 'smart' });
    // the source's sets (id 0) and the re-encoded pieces' own (id 1), both in the one avcC
    const avcc = await readAvcC(o);
    expect(avcc.sps.map(spsId).sort()).toEqual([0, 1]);
    expect(avcc.pps.map(ppsId).sort()).toEqual([0, 1]);
    const strict = path.join(dir, 'hw-strict.mp4');
    await stripInBandSets(o, strict);
    expect(await decodeErrors(o)).toBe('');
    expect(await decodeErrors(strict)).toBe('');
    const kept = keptFrames(r.draft);
    const src = await frameMd5(hw);
    const got = await frameMd5(o);
    const strictFrames = await frameMd5(strict);
    expect(got.length).toBe(kept.length);
    expect(strictFrames.map((f) => f.md5)).toEqual(got.map((f) => f.md5));
    expect(got.map((f) => f.pts)).toEqual(got.map((_, k) => k));
    // the copied GOPs are the source's frames; the rest close to them
    const same = got.filter((f, i) => f.md5 === src[kept[i]!]!.md5).length;
    expect(same).toBe(r.render.renderPath!.copiedFrames);
    const encoded = got.map((_, i) => i).filter((i) => got[i]!.md5 !== src[kept[i]!]!.md5);
    const db = await psnrFrames(
      o,
      encoded,
      hw,
      encoded.map((i) => kept[i]!),
    );
    for (const v of db) expect(v).toBeGreaterThanOrEqual(40);
  }, 180_000);
});

describe('smart render: eligibility, decided up front', () => {
  async function decide(file: string, mutate: (d: Draft) => void = () => {}, format = 'mp4') {
    const { ffmpeg: bin } = await findFfmpeg();
    const caps = await getCapabilities(bin);
    const draft = draftFromMedia([{ src: file, info: await probeMedia(file) }]);
    const seg = draft.t[0]!.sg[0]!;
    // keep 1.5–11.5 s: ten whole GOPs inside on the phone clip
    seg.m = { ...seg.m, in: 1500 };
    seg.d = 10_000;
    draft.d = 10_000;
    mutate(draft);
    return decideRenderPath(draft, { format, caps, workDir: dir, resolve: (s) => s });
  }

  it('a short, small clip is not smart-rendered: too little to copy for it to pay', async () => {
    const small = await makeH264(
      path.join(dir, 'small.mp4'),
      6,
      '-g 30 -keyint_min 30 -sc_threshold 0'.split(' '),
      '320x180',
    );
    const d = await decide(small, (draft) => {
      draft.t[0]!.sg[0]!.m!.in = 1000;
      draft.t[0]!.sg[0]!.d = 4000;
      draft.d = 4000;
    });
    expect(d.path).toBe('full');
    expect(d.reasons.join()).toMatch(/s of 320×180 could be copied: too little for smart rendering to pay/);
  });

  it('a cut of the phone clip is eligible; the same cut of a GOP-250 source is not (too little to copy)', async () => {
    expect((await decide(phone)).path).toBe('smart');
    const d = await decide(longGop);
    expect(d.path).toBe('full');
    expect(d.reasons.join(' ')).toMatch(/% of the output frames could be copied/);
  });

  it('whole-clip effects, speed, other formats and several inputs take the full path, with the reason; a short title does not, text over it all does', async () => {
    const grade = await decide(phone, (d) => {
      d.m!.fx = { grade: { look: 'warm' } };
    });
    expect(grade).toMatchObject({ path: 'full' });
    expect(grade.reasons.join()).toMatch(/colour grade/);
    const webm = await decide(phone, () => {}, 'webm');
    expect(webm.reasons.join()).toMatch(/webm, not mp4/);
    // a title over a second or music does not need the whole picture re-encoded
    const title = await decide(phone, (d) => {
      d.t.push({ tt: 7, sg: [{ d: 1000, m: { text: 'Hi', at: 0 } }] });
    });
    expect(title).toMatchObject({ path: 'smart' });
    const captionsAll = await decide(phone, (d) => {
      d.t.push({ tt: 7, sg: [{ d: 10_000, m: { text: 'Everywhere', style: 'caption' } }] });
    });
    expect(captionsAll.reasons.join()).toMatch(/% of the output frames could be copied/);
    const speed = await decide(phone, (d) => {
      d.t[0]!.sg[0]!.m!.speed = 2;
    });
    expect(speed.reasons.join()).toMatch(/speed change/);
    const two = await decide(phone, (d) => {
      d.t[0]!.sg.push({ d: 1000, m: { src: longGop, in: 0, hasVideo: true, hasAudio: true } });
    });
    expect(two.reasons.join()).toMatch(/several inputs/);
  });

  it('a draft from elsewhere (no srcWidth) at another canvas size takes the full path', async () => {
    const d = await decide(phone, (draft) => {
      draft.m!.width = 640;
      draft.m!.height = 360;
      delete draft.t[0]!.sg[0]!.m!.srcWidth;
      delete draft.t[0]!.sg[0]!.m!.srcHeight;
    });
    expect(d.path).toBe('full');
    expect(d.reasons).toContain('the output size differs from the source');
  });

  it('a source with open GOPs (non-IDR keyframes) is not cut', async () => {
    const open = await makeH264(path.join(dir, 'open-gop.mp4'), 6, [
      ...['-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-bf', '3', '-x264-params', 'open-gop=1'],
    ]);
    const { ffmpeg: bin } = await findFfmpeg();
    const caps = await getCapabilities(bin);
    const draft = draftFromMedia([{ src: open, info: await probeMedia(open) }]);
    draft.t[0]!.sg[0]!.m!.in = 500;
    draft.t[0]!.sg[0]!.d = 5000;
    const d = await decideRenderPath(draft, { format: 'mp4', caps, workDir: dir, resolve: (s) => s });
    expect(d.path).toBe('full');
    expect(d.reasons.join()).toMatch(/open-GOP or non-IDR keyframes/);
  }, 120_000);

  it('checkDraft reads a plain cut as cut-only', () => {
    const d: Draft = {
      t: [{ tt: 0, sg: [{ d: 1000, m: { src: 'a.mp4', in: 0, hasVideo: true, hasAudio: true } }] }],
      m: { fx: {} },
    };
    expect(checkDraft(d, 'mp4').reasons).toEqual([]);
  });
});

describe('smart render: quality', () => {
  it('a low export quality takes the full path (copied GOPs would keep the source quality), and says why', async () => {
    const out = path.join(dir, 'low.mp4');
    const r = await localEdit({
      files: [phone],
      instruction: 'trim to 10s',
      outPath: out,
      quality: 'low',
    });
    expect(r.render.renderPath).toMatchObject({ path: 'full' });
    expect(r.render.renderPath?.reasons.join()).toMatch(/low export quality/);
    const high = await localEdit({
      files: [phone],
      instruction: 'trim to 10s',
      outPath: path.join(dir, 'high.mp4'),
    });
    expect(high.render.renderPath?.path).toBe('smart');
  }, 120_000);
});

describe('smart render: abort', () => {
  it('an abort while the pieces encode stops the render: EngineAbortedError, no output, no temp file', async () => {
    const out = path.join(dir, 'aborted.mp4');
    const controller = new AbortController();
    const off = onFfmpegSpawn((r) => {
      if (r.purpose === 'encode' && r.args.includes('libx264')) queueMicrotask(() => controller.abort());
    });
    try {
      const err = await localEdit({
        files: [phone],
        instruction: 'trim silences',
        outPath: out,
        signal: controller.signal,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineAbortedError);
    } finally {
      off();
    }
    const left = (await readdir(dir)).filter((f) => f.startsWith('aborted') || f.includes('nemo-tmp'));
    expect(left).toEqual([]);
  }, 120_000);
});

describe('smart render: the pieces and the encoder settings', () => {
  it('copies the whole GOPs of each range and re-encodes the heads and tails', () => {
    expect(
      planPieces(
        [
          { from: 39, to: 168 },
          { from: 216, to: 330 },
        ],
        [0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330],
        360,
      ),
    ).toEqual([
      { kind: 'encode', from: 39, to: 60 },
      { kind: 'copy', from: 60, to: 150 },
      { kind: 'encode', from: 150, to: 168 },
      { kind: 'encode', from: 216, to: 240 },
      { kind: 'copy', from: 240, to: 330 },
    ]);
    // a range inside one GOP is re-encoded whole; a range to the end of the stream copies its last GOP
    expect(planPieces([{ from: 5, to: 20 }], [0, 30], 40)).toEqual([{ kind: 'encode', from: 5, to: 20 }]);
    expect(planPieces([{ from: 25, to: 40 }], [0, 30], 40)).toEqual([
      { kind: 'encode', from: 25, to: 30 },
      { kind: 'copy', from: 30, to: 40 },
    ]);
  });

  it("repeats the source's x264 options that shape the parameter sets", () => {
    const p = x264ParamsFromOptions(
      'cabac=1 ref=3 deblock=1:0:0 analyse=0x3:0x113 me=hex subme=7 psy=1 psy_rd=1.00:0.00 mixed_ref=1 me_range=16 chroma_me=1 trellis=1 8x8dct=1 cqm=0 deadzone=21,11 fast_pskip=1 chroma_qp_offset=-2 threads=6 bframes=3 b_pyramid=2 b_adapt=1 b_bias=0 direct=1 weightb=1 open_gop=0 weightp=2 keyint=250 keyint_min=25 scenecut=40 rc=crf mbtree=1 crf=23.0 qcomp=0.60 qpmin=0 qpmax=69 qpstep=4 ip_ratio=1.40 aq=1:1.00',
    )!;
    const parts = p.split(':');
    expect(parts).toEqual(
      expect.arrayContaining([
        'cabac=1',
        'ref=3',
        'bframes=3',
        'b-pyramid=2',
        'weightp=2',
        'crf=23.0',
        'deblock=0,0',
      ]),
    );
    // psy-rd at subme 7 lowered the offset by 2: the option that gives -2 again is 0
    expect(parts).toContain('chroma-qp-offset=0');
    expect(parts.some((x) => x.startsWith('threads='))).toBe(false);
    expect(x264ParamsFromOptions('')).toBeUndefined();
  });
});
