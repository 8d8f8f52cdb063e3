/**
 * Smart rendering of an edit that cuts (and titles, or adds music to) one H.264 file: the GOPs the edit leaves
 * whole are stream-copied (split out of the source by the segment muxer, no decode); the frames between a cut
 * and the nearest cut point, and the GOPs under a title, are re-encoded in one run (encode-pass.ts) with
 * libx264 set up from the source's own x264 options when a one-frame probe encode gives its very SPS/PPS,
 * else with parameter sets of their own that avcc.ts lists in the output's avcC beside the source's; the
 * pieces are joined by the concat demuxer into one MP4 (one timescale), and the sound is copied when
 * untouched, else encoded once (the full path's graph and 10 ms fades at the cuts) and muxed against it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Draft } from '../../timeline/index.js';
import { compileDraft } from '../compile/compile.js';
import type { GraphFile } from '../compile/text.js';
import { draftFps, even } from '../draft-build.js';
import { runProcess } from '../process.js';
import type { Capabilities } from '../types.js';
import { addParameterSets, spsId } from './avcc.js';
import {
  type CutRange,
  checkDraft,
  checkSource,
  type DraftCheck,
  MIN_COPIED_PIXELS,
  MIN_COPY_SHARE,
} from './eligibility.js';
import { type EncodePiece, encodePass, listQuote, seconds } from './encode-pass.js';
import {
  decodeIndexOfFrame,
  type ParameterSets,
  parameterSets,
  partialDecode,
  type SourceScan,
  scanSource,
  sourceParameterSets,
} from './gop.js';
import { JoinError, joinPieces } from './join.js';
import { coverOverlays, overlaysOf } from './overlays.js';

const BASE = ['-nostdin', '-hide_banner', '-v', 'error', '-y'];

/** A run of output frames: source frames [from, to) in presentation order, copied or re-encoded. */
export interface Piece {
  kind: 'copy' | 'encode';
  from: number;
  to: number;
  /** encode: the overlay filters the piece runs through (a title over it). */
  overlay?: string;
}

export interface SmartPlan {
  src: string;
  scan: SourceScan;
  pieces: Piece[];
  frames: number;
  copiedFrames: number;
  /** libx264's arguments for the re-encoded pieces. */
  encoder: string[];
  /**
   * Parameter sets to list in the output's avcC beside the first piece's: set when the pieces carry their
   * own (another id) because libx264 cannot repeat the source's byte for byte (a phone's hardware encoder).
   */
  addSets?: { sps: Buffer[]; pps: Buffer[] };
  /** Title text files the overlay filters read (written before the encode pass). */
  overlayFiles: GraphFile[];
  /** The source's audio stream to stream-copy (the edit leaves the sound untouched), else undefined: encode it. */
  copyAudioStream?: number;
}

export type SmartDecision =
  | { path: 'smart'; plan: SmartPlan; reasons: [] }
  | { path: 'full'; reasons: string[]; copyShare?: number };

/** Source frames [from, to) a segment shows, the way the full path's trim picks them (half a frame early). */
export function segmentFrames(r: CutRange, fps: number, totalFrames: number): { from: number; to: number } {
  const half = 500 / fps;
  const from = Math.max(0, Math.ceil(((r.startMs - half) * fps) / 1000 - 1e-6));
  const count = Math.ceil((r.durationMs * fps) / 1000 - 1e-6);
  return { from, to: Math.min(totalFrames, from + count) };
}

/**
 * The pieces of each kept range: the whole GOPs inside it are copied (from the first cut point at or after
 * its start to the last cut point, or the end of the stream, at or before its end), the rest re-encoded.
 */
export function planPieces(
  ranges: { from: number; to: number }[],
  cutPoints: number[],
  frames: number,
): Piece[] {
  const bounds = [...cutPoints, frames];
  const pieces: Piece[] = [];
  for (const { from, to } of ranges) {
    if (to <= from) continue;
    const first = cutPoints.find((k) => k >= from);
    const last = [...bounds].reverse().find((k) => k <= to);
    if (first === undefined || last === undefined || last <= first) {
      pieces.push({ kind: 'encode', from, to });
      continue;
    }
    if (from < first) pieces.push({ kind: 'encode', from, to: first });
    pieces.push({ kind: 'copy', from: first, to: last });
    if (last < to) pieces.push({ kind: 'encode', from: last, to });
  }
  return pieces;
}

/**
 * Rate control for the re-encoded pieces, whatever the source used: no lookahead, no macroblock tree, a fixed
 * B-frame pattern. Pieces are a second long or less, start with a forced IDR and run under a quantizer cap,
 * where the lookahead has nothing to plan; none of these is in the SPS/PPS (the probe encode checks). On the
 * 3-minute trim of the bench fixture the encode pass took 12.0 CPU-seconds with them against 15-16 with the
 * source's (lookahead 10, mbtree, adaptive B-frames), its frames 53.2 dB against the source's, not 53.3
 * (both under the crf − 5 cap of then).
 */
const PIECE_RATE_CONTROL = ['rc-lookahead=0', 'mbtree=0', 'b-adapt=0'];

/**
 * x264's options string (from its SEI) → `-x264-params`: every option that shapes the SPS/PPS (or the
 * look of the picture) the same as the source's. Options that only steer threads are left out.
 */
export function x264ParamsFromOptions(options: string): string | undefined {
  const kv = new Map<string, string>();
  for (const token of options.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) kv.set(token.slice(0, eq), token.slice(eq + 1));
  }
  if (kv.size === 0) return undefined;
  const out: string[] = [];
  const same: Record<string, string> = {
    cabac: 'cabac',
    ref: 'ref',
    me: 'me',
    subme: 'subme',
    psy: 'psy',
    mixed_ref: 'mixed-refs',
    me_range: 'merange',
    chroma_me: 'chroma-me',
    trellis: 'trellis',
    '8x8dct': '8x8dct',
    fast_pskip: 'fast-pskip',
    chroma_qp_offset: 'chroma-qp-offset',
    nr: 'nr',
    interlaced: 'interlaced',
    bluray_compat: 'bluray-compat',
    constrained_intra: 'constrained-intra',
    bframes: 'bframes',
    b_pyramid: 'b-pyramid',
    b_bias: 'b-bias',
    weightb: 'weightb',
    open_gop: 'open-gop',
    weightp: 'weightp',
    keyint: 'keyint',
    keyint_min: 'min-keyint',
    scenecut: 'scenecut',
    intra_refresh: 'intra-refresh',
    qcomp: 'qcomp',
    qpmin: 'qpmin',
    qpstep: 'qpstep',
    ip_ratio: 'ipratio',
    pb_ratio: 'pbratio',
    vbv_maxrate: 'vbv-maxrate',
    vbv_bufsize: 'vbv-bufsize',
    stitchable: 'stitchable',
    fake_interlaced: 'fake-interlaced',
  };
  for (const [k, name] of Object.entries(same)) {
    const v = kv.get(k);
    if (v !== undefined && /^[\w.-]+$/.test(v)) out.push(`${name}=${v}`);
  }
  // The chroma offset in the string is x264's final one: psy-rd (subme ≥ 6) and psy-trellis (trellis on)
  // each lowered it by 1 or 2 from the option given. Pass the option that yields the same final value.
  const psy = kv.get('psy') === '1';
  const [psyRd = 0, psyTrellis = 0] = (kv.get('psy_rd') ?? '0:0').split(':').map(Number);
  let chroma = Number(kv.get('chroma_qp_offset') ?? 0);
  if (psy && Number(kv.get('subme') ?? 0) >= 6 && psyRd > 0) chroma += psyRd < 0.25 ? 1 : 2;
  if (psy && Number(kv.get('trellis') ?? 0) > 0 && psyTrellis > 0) chroma += psyTrellis < 0.25 ? 1 : 2;
  const at = out.findIndex((x) => x.startsWith('chroma-qp-offset='));
  if (at >= 0) out[at] = `chroma-qp-offset=${chroma}`;
  const deblock = kv.get('deblock')?.split(':');
  if (deblock)
    out.push(deblock[0] === '0' ? 'no-deblock=1' : `deblock=${deblock[1] ?? 0},${deblock[2] ?? 0}`);
  if (kv.has('psy_rd')) out.push(`psy-rd=${psyRd},${psyTrellis}`);
  const dz = kv.get('deadzone')?.split(',');
  if (dz) out.push(`deadzone-inter=${dz[0]}`, `deadzone-intra=${dz[1] ?? dz[0]}`);
  const direct = ['none', 'spatial', 'temporal', 'auto'][Number(kv.get('direct') ?? 1)];
  if (direct) out.push(`direct=${direct}`);
  const aq = kv.get('aq')?.split(':');
  if (aq) out.push(`aq-mode=${aq[0]}`, ...(aq[1] ? [`aq-strength=${aq[1]}`] : []));
  if (kv.get('decimate') === '0') out.push('no-dct-decimate=1');
  const rc = kv.get('rc');
  if (rc === 'crf' && kv.get('crf')) out.push(`crf=${kv.get('crf')}`);
  else if (rc === 'cqp' && kv.get('qp')) out.push(`qp=${kv.get('qp')}`);
  else if ((rc === 'abr' || rc === 'cbr' || rc?.startsWith('2pass')) && kv.get('bitrate'))
    out.push(`bitrate=${kv.get('bitrate')}`);
  else return undefined;
  // Re-encoded frames must look like the source's decoded ones, not like a second generation at the
  // source's rate: cap the quantizer (not part of the parameter sets, so the SPS/PPS stay the same). At
  // crf − 2 the 3-minute trim's re-encoded frames were ≥ 50.6 dB against the source's (crf − 5: 53.2 dB, no
  // cap: 41.8), for 8 % less encode CPU and 18 % fewer bytes than crf − 5.
  const crf = Number(kv.get('crf') ?? kv.get('qp') ?? 23);
  const qpmax = Math.max(
    Number(kv.get('qpmin') ?? 0),
    Math.min(Number(kv.get('qpmax') ?? 69), Math.round(crf) - 2),
  );
  out.push(`qpmax=${qpmax}`, ...PIECE_RATE_CONTROL);
  return out.join(':');
}

/** libx264 at the source's profile and level with `params`. */
function x264Args(profile: string, level: string, params: string, extra: string[] = []): string[] {
  return [
    ...['-c:v', 'libx264', ...extra, '-profile:v', profile, '-level', level, '-pix_fmt', 'yuv420p'],
    ...['-x264-params', params],
  ];
}

/**
 * Settings for a source libx264 cannot repeat: parameter sets of their own under an id the source does not
 * use (listed in the avcC beside the source's after the join), the source's B-frame delay (so decode and
 * presentation times of the pieces line up), and a quality that keeps re-encoded frames close to it.
 */
export function ownX264Params(hasBFrames: number, usedIds: number[]): string {
  const id = Math.max(0, ...usedIds) + 1;
  const b =
    hasBFrames <= 0
      ? 'bframes=0'
      : hasBFrames === 1
        ? 'bframes=1:b-pyramid=none'
        : 'bframes=3:b-pyramid=normal';
  return [b, 'crf=17', `sps-id=${id}`, ...PIECE_RATE_CONTROL].join(':');
}

const PROFILES: Record<string, string> = {
  'Constrained Baseline': 'baseline',
  Baseline: 'baseline',
  Main: 'main',
  High: 'high',
};

/**
 * Decides the path up front: the draft rules, then the source scan, then the copyable share, then a
 * one-frame probe encode whose SPS/PPS must equal the source's byte for byte.
 */
export async function decideSmart(
  draft: Draft,
  format: string,
  o: {
    caps: Capabilities;
    ffprobe: string;
    workDir: string;
    resolve: (s: string) => string;
    signal?: AbortSignal;
  },
): Promise<SmartDecision> {
  const d = checkDraft(draft, format);
  if (d.reasons.length > 0 || !d.src) return { path: 'full', reasons: d.reasons };
  if (!o.caps.encoders.has('libx264')) return { path: 'full', reasons: ['this ffmpeg has no libx264'] };
  const src = o.resolve(d.src);
  const scan = await scanSource(o.ffprobe, src, o.signal);
  const reasons = checkSource(scan, draftFps(draft));
  // the full path renders at the draft's canvas (1280×720 when a draft names none): only the source's own size is copyable
  const width = even(draft.m?.width ?? 1280);
  const height = even(draft.m?.height ?? 720);
  if (scan.width !== width || scan.height !== height) reasons.push('the output size differs from the source');
  if (reasons.length > 0) return { path: 'full', reasons };
  const fps = scan.fpsNum / scan.fpsDen;
  const overlays = overlaysOf(draft, {
    width,
    height,
    fps,
    workDir: o.workDir,
    libass: o.caps.filters.has('subtitles'),
  });
  const pieces = coverOverlays(
    planPieces(
      d.ranges.map((r) => segmentFrames(r, fps, scan.frames)),
      scan.cutPoints,
      scan.frames,
    ),
    overlays.spans,
    scan.cutPoints,
    overlays.chain,
  );
  const frames = pieces.reduce((n, p) => n + p.to - p.from, 0);
  const copiedFrames = pieces.filter((p) => p.kind === 'copy').reduce((n, p) => n + p.to - p.from, 0);
  const copyShare = frames > 0 ? copiedFrames / frames : 0;
  if (copyShare < MIN_COPY_SHARE)
    return {
      path: 'full',
      copyShare,
      reasons: [
        `only ${Math.round(copyShare * 100)} % of the output frames could be copied (the source's keyframes are too far apart for these cuts; smart rendering needs ${MIN_COPY_SHARE * 100} %)`,
      ],
    };
  if (copiedFrames * width * height < MIN_COPIED_PIXELS)
    return {
      path: 'full',
      copyShare,
      reasons: [
        `only ${((copiedFrames * scan.fpsDen) / scan.fpsNum).toFixed(1)} s of ${width}×${height} could be copied: too little for smart rendering to pay (from about ${Math.ceil((MIN_COPIED_PIXELS / (width * height)) * (scan.fpsDen / scan.fpsNum))} s at this size)`,
      ],
    };
  let source: ParameterSets;
  try {
    source = await sourceParameterSets(scan);
  } catch (err) {
    return {
      path: 'full',
      reasons: [`the source's parameter sets could not be read (${(err as Error).message})`],
    };
  }
  const profile = PROFILES[scan.profile ?? ''];
  if (!profile || !scan.level)
    return {
      path: 'full',
      reasons: [`the source's H.264 profile (${scan.profile ?? 'unknown'}) is not one libx264 writes`],
    };
  const level = (scan.level / 10).toFixed(1);
  const probeSets = async (encoder: string[]): Promise<ParameterSets> => {
    const probe = path.join(o.workDir, 'probe.h264');
    await runProcess(
      o.caps.ffmpegPath,
      [...BASE, '-i', src, '-frames:v', '1', ...encoder, '-an', '-f', 'h264', probe],
      { purpose: 'analysis', signal: o.signal },
    );
    return parameterSets(await readFile(probe));
  };
  // the source's own x264 options when it has them and they give its very parameter sets back
  const matched = source.x264Options ? x264ParamsFromOptions(source.x264Options) : undefined;
  let encoder = matched ? x264Args(profile, level, matched) : undefined;
  if (encoder && !sameSets(source, await probeSets(encoder))) encoder = undefined;
  let addSets: SmartPlan['addSets'];
  if (!encoder) {
    const hex = (h: string[]) => h.map((x) => Buffer.from(x, 'hex'));
    const own = x264Args(profile, level, ownX264Params(scan.hasBFrames, setIds(hex(source.sps), spsId)), [
      '-preset',
      'veryfast',
    ]);
    const sets = await probeSets(own);
    const clash = setIds(hex(sets.sps), spsId).some((id) => setIds(hex(source.sps), spsId).includes(id));
    if (clash || sets.sps.length === 0)
      return {
        path: 'full',
        reasons: ["the re-encoded frames' parameter sets could not be kept apart from the source's"],
      };
    encoder = own;
    addSets = { sps: [...hex(source.sps), ...hex(sets.sps)], pps: [...hex(source.pps), ...hex(sets.pps)] };
  }
  const plan: SmartPlan = {
    src,
    scan,
    pieces,
    frames,
    copiedFrames,
    encoder,
    addSets,
    overlayFiles: overlays.files,
    copyAudioStream: await untouchedAudio(d, pieces, scan, o),
  };
  return { path: 'smart', plan, reasons: [] };
}

/** Audio codecs an MP4 holds that can be copied as they are. */
const COPYABLE_AUDIO = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);

/**
 * The audio stream to copy when the edit keeps the whole source in one piece and mixes nothing in (a title,
 * say): the sound is then the source's, bit for bit. Undefined when it must be encoded.
 */
async function untouchedAudio(
  d: DraftCheck,
  pieces: Piece[],
  scan: SourceScan,
  o: { ffprobe: string; signal?: AbortSignal },
): Promise<number | undefined> {
  const whole = pieces.length > 0 && pieces[0]!.from === 0 && pieces.at(-1)!.to === scan.frames;
  const contiguous = pieces.every((p, k) => k === 0 || pieces[k - 1]!.to === p.from);
  if (d.hasMusic || d.ranges.length !== 1 || !whole || !contiguous) return undefined;
  const stream = d.audioStream;
  if (stream === undefined) return undefined;
  const { stdout } = await runProcess(
    o.ffprobe,
    [
      ...['-v', 'error', '-select_streams', `a:${stream}`, '-show_entries', 'stream=codec_name'],
      ...['-of', 'csv=p=0', scan.file],
    ],
    { purpose: 'probe', signal: o.signal },
  );
  return COPYABLE_AUDIO.has(stdout.trim()) ? stream : undefined;
}

/** The ids of parameter sets (NAL units), each read by `read`; a unit that cannot be read counts as id 0. */
function setIds(units: Buffer[], read: (nal: Buffer) => number): number[] {
  return units.map((u) => {
    try {
      return read(u);
    } catch {
      return 0;
    }
  });
}

function sameSets(a: ParameterSets, b: ParameterSets): boolean {
  const eq = (x: string[], y: string[]) => x.length === y.length && x.every((v) => y.includes(v));
  return eq(a.sps, b.sps) && eq(a.pps, b.pps);
}

export interface SmartTimings {
  splitMs: number;
  encodeMs: number;
  audioMs: number;
  muxMs: number;
}

/** What the smart render's runs need: ffmpeg, the work dir, the source resolver, the abort signal. */
export interface SmartContext {
  caps: Capabilities;
  workDir: string;
  resolve: (s: string) => string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

const audioFileIn = (workDir: string) => path.join(workDir, 'audio.m4a');

/**
 * The kept sound, encoded once into the work dir's audio.m4a: the full path's own graph (the cuts, 10 ms
 * fades at each, music mixed in). False when the draft has no sound.
 */
export async function encodeAudio(draft: Draft, o: SmartContext): Promise<boolean> {
  const pass = compileDraft(draft, {
    caps: o.caps,
    workDir: o.workDir,
    resolveSrc: o.resolve,
    format: 'mp4',
    mode: 'audio',
  });
  if (pass.audioLabel === undefined) return false;
  const script = path.join(o.workDir, 'audio.filtergraph');
  await writeFile(script, pass.graph, 'utf8');
  await runProcess(
    o.caps.ffmpegPath,
    [
      ...BASE,
      ...pass.inputs,
      ...['-filter_complex_script', script, '-map', `[${pass.audioLabel}]`],
      // the fast AAC coder: here the sound is a process of its own, the largest single cost; it took
      // 0.43-0.58 of the default coder's CPU, with a waveform SNR as high or higher (engine README)
      ...['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '192k', '-ar', '48000', '-ac', '2'],
      ...['-vn', '-f', 'mp4', audioFileIn(o.workDir)],
    ],
    { purpose: 'encode', signal: o.signal, env: o.env },
  );
  return true;
}

/** Renders `plan` (from `decideSmart`) into `outFile` (an MP4). */
export async function smartRender(
  draft: Draft,
  plan: SmartPlan,
  outFile: string,
  o: SmartContext & {
    /** 0..1 as the pieces are done (the final mux is the last 5 %). */
    onProgress?: (fraction: number) => void;
  },
): Promise<{ timings: SmartTimings; hasAudio: boolean }> {
  const ffmpeg = o.caps.ffmpegPath;
  const { scan } = plan;
  const ts = String(scan.timescale);
  const timings: SmartTimings = { splitMs: 0, encodeMs: 0, audioMs: 0, muxMs: 0 };
  const timed = async <T>(key: keyof SmartTimings, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[key] += performance.now() - t0;
    }
  };

  // The audio: copied, or encoded once alongside the video work.
  const copyAudio = plan.copyAudioStream !== undefined;
  const audio = copyAudio ? Promise.resolve(true) : timed('audioMs', () => encodeAudio(draft, o));

  // One pass of the segment muxer over the source (no decode), split a quarter frame before each bound: the
  // copied runs, and the GOPs each re-encoded piece lies in (the encode pass decodes only those).
  const gopStart = (f: number) => [...scan.cutPoints].reverse().find((k) => k <= f) ?? 0;
  const gopEnd = (f: number) => scan.cutPoints.find((k) => k >= f) ?? scan.frames;
  const bounds = [
    ...new Set(
      plan.pieces.flatMap((p) => (p.kind === 'copy' ? [p.from, p.to] : [gopStart(p.from), gopEnd(p.to)])),
    ),
  ]
    .filter((k) => k > 0 && k < scan.frames)
    .sort((x, y) => x - y);
  const edges = [0, ...bounds, scan.frames];
  const split = timed('splitMs', () =>
    runProcess(
      ffmpeg,
      [
        ...BASE,
        ...['-i', plan.src, '-map', '0:v:0', '-c', 'copy', '-f', 'segment', '-segment_format', 'mp4'],
        // no bound (the whole source is one copied run): one segment, however long
        ...(bounds.length
          ? ['-segment_times', bounds.map((k) => seconds(k - 0.25, scan)).join(',')]
          : ['-segment_time', '1000000000']),
        ...['-reset_timestamps', '1', '-segment_format_options', `video_track_timescale=${ts}`],
        path.join(o.workDir, 'gop-%05d.mp4'),
      ],
      { purpose: 'analysis', signal: o.signal, env: o.env },
    ),
  );
  /** The split pass's files covering source frames [a, b) (a and b are bounds), with their frame counts. */
  const segments = (a: number, b: number) => {
    const out: EncodePiece['gops'] = [];
    for (let j = edges.indexOf(a); j >= 0 && edges[j]! < b; j++)
      out.push({
        file: path.join(o.workDir, `gop-${String(j).padStart(5, '0')}.mp4`),
        frames: edges[j + 1]! - edges[j]!,
      });
    return out;
  };

  let doneFrames = 0;
  const progress = (frames: number): void => {
    doneFrames += frames;
    o.onProgress?.(Math.min(0.95, (0.95 * doneFrames) / Math.max(1, plan.frames)));
  };
  const encodes: EncodePiece[] = [];
  const order = decodeIndexOfFrame(scan.packets);
  let outAt = 0;
  plan.pieces.forEach((p, k) => {
    if (p.kind === 'encode') {
      const g0 = gopStart(p.from);
      const gops = segments(g0, gopEnd(p.to));
      // the last file is decoded only as far as the piece needs (a range's tail ends inside its GOP)
      const lastFrom = gopEnd(p.to) - gops.at(-1)!.frames;
      const decode = partialDecode(scan, order, { from: lastFrom, end: gopEnd(p.to), to: p.to });
      if (decode) gops[gops.length - 1] = { ...gops.at(-1)!, decode };
      encodes.push({ ...p, gopFrom: g0, gops, outAt, continues: plan.pieces[k - 1]?.kind === 'encode' });
    }
    outAt += p.to - p.from;
  });
  let encodedFrames = 0;
  await Promise.all(plan.overlayFiles.map((f) => writeFile(f.path, f.content, 'utf8')));
  const encode = split.then(() => {
    progress(plan.copiedFrames);
    return timed('encodeMs', () =>
      encodePass({
        ffmpeg,
        scan,
        pieces: encodes,
        encoder: plan.encoder,
        workDir: o.workDir,
        signal: o.signal,
        env: o.env,
        onFrames: (n) => {
          progress(n - encodedFrames);
          encodedFrames = n;
        },
      }),
    );
  });
  // both runs end before an error goes up: an abort or a failure never leaves one writing into the work dir
  const [audioDone, encodeDone] = await Promise.allSettled([audio, encode]);
  for (const r of [encodeDone, audioDone]) if (r.status === 'rejected') throw r.reason;
  const hasAudio = (audioDone as PromiseFulfilledResult<boolean>).value;
  const encodedFiles = (encodeDone as PromiseFulfilledResult<string[]>).value;

  const list = path.join(o.workDir, 'pieces.txt');
  // one entry per copied file and per encoded file (a run of encoded pieces that continue each other)
  let nextEncoded = 0;
  const entries: { file: string; frames: number }[] = [];
  plan.pieces.forEach((p, k) => {
    if (p.kind === 'copy') entries.push(...segments(p.from, p.to));
    else if (plan.pieces[k - 1]?.kind === 'encode') entries.at(-1)!.frames += p.to - p.from;
    else entries.push({ file: encodedFiles[nextEncoded++]!, frames: p.to - p.from });
  });
  const frameTicks = (scan.timescale * scan.fpsDen) / (scan.fpsNum * scan.timeBaseNum);
  if (!copyAudio && Number.isInteger(frameTicks)) {
    // our own join: the pieces' samples copied into one MP4, the avcC listing the added sets
    try {
      await timed('muxMs', () =>
        joinPieces({
          pieces: entries.map((e) => e.file),
          audio: hasAudio ? audioFileIn(o.workDir) : undefined,
          frameTicks,
          addSets: plan.addSets,
          out: outFile,
        }),
      );
      return { timings, hasAudio };
    } catch (err) {
      if (!(err instanceof JoinError)) throw err;
      // a structure the join does not know: ffmpeg's concat demuxer below
    }
  }
  await writeFile(
    list,
    entries.map((e) => `file ${listQuote(e.file)}\nduration ${seconds(e.frames, scan)}\n`).join(''),
    'utf8',
  );
  await timed('muxMs', () =>
    runProcess(
      ffmpeg,
      [
        ...BASE,
        ...['-f', 'concat', '-safe', '0', '-i', list],
        ...(hasAudio ? ['-i', copyAudio ? plan.src : audioFileIn(o.workDir)] : []),
        ...['-map', '0:v:0', ...(hasAudio ? ['-map', `1:a:${copyAudio ? plan.copyAudioStream : 0}`] : [])],
        ...['-c', 'copy', '-video_track_timescale', ts, '-movflags', '+faststart', '-f', 'mp4', outFile],
      ],
      { purpose: 'encode', signal: o.signal, env: o.env },
    ),
  );
  // the join's avcC lists only its first piece's sets: list the others beside them (a strict player reads only the avcC)
  if (plan.addSets) await timed('muxMs', () => addParameterSets(outFile, plan.addSets!));
  return { timings, hasAudio };
}
