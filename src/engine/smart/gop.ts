/**
 * What smart rendering needs to know about an H.264 source: its stream parameters, every video packet
 * (ffprobe -show_packets: demuxing only, no decode), which keyframes are IDR (the NAL unit type read from
 * the packet's own bytes) and which of them are safe cut points (closed: no packet on either side of it in
 * decode order is shown on the other side), the parameter sets and x264's options string (its SEI).
 */
import { open, stat } from 'node:fs/promises';
import { runProcess } from '../process.js';
import { readAvcC } from './avcc.js';

export interface VideoPacket {
  pts: number;
  dts: number;
  key: boolean;
  pos: number;
  size: number;
}

export interface SourceScan {
  file: string;
  codec?: string;
  profile?: string;
  /** ffprobe's level: 40 for 4.0. */
  level?: number;
  pixFmt?: string;
  bitsPerRawSample?: number;
  width?: number;
  height?: number;
  /** r_frame_rate as num/den; `cfr` says whether every frame lasts exactly one such period. */
  fpsNum: number;
  fpsDen: number;
  cfr: boolean;
  /** The stream's time base denominator (the MP4 track timescale). */
  timescale: number;
  timeBaseNum: number;
  hasBFrames: number;
  nalLengthSize: number;
  isAvc: boolean;
  rotation: number;
  formatName: string;
  fieldOrder?: string;
  videoStreams: number;
  /** Packets in decode order. */
  packets: VideoPacket[];
  /** Frame count (= packets). */
  frames: number;
  /** Presentation-order frame index of each safe cut point (IDR, closed), ascending. */
  cutPoints: number[];
  /** Keyframes that are not safe cut points (non-IDR or open), as presentation-order frame indices. */
  unsafeKeyframes: number[];
  /** The first frame's pts (ticks). */
  firstPts: number;
}

interface ProbeStreamJson {
  codec_name?: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  has_b_frames?: number;
  nal_length_size?: string;
  is_avc?: string;
  field_order?: string;
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string };
}

function ratio(text: string | undefined): [number, number] {
  const [n, d] = (text ?? '0/1').split('/').map(Number);
  return [Number.isFinite(n) ? n! : 0, Number.isFinite(d) && d ? d! : 1];
}

/** The NAL units of one length-prefixed (AVCC) packet. */
export function avccUnits(data: Buffer, lengthSize: number): Buffer[] {
  const units: Buffer[] = [];
  let at = 0;
  while (at + lengthSize < data.length) {
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + data[at + k]!;
    at += lengthSize;
    if (len <= 0 || at + len > data.length) break;
    units.push(data.subarray(at, at + len));
    at += len;
  }
  return units;
}

/** The NAL unit types of one length-prefixed (AVCC) packet. */
export function avccNalTypes(data: Buffer, lengthSize: number): number[] {
  return avccUnits(data, lengthSize).map((u) => u[0]! & 0x1f);
}

/** The NAL units of an Annex-B stream (start codes 00 00 01 / 00 00 00 01). */
export function annexBUnits(data: Buffer): Buffer[] {
  const starts: { at: number; body: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const at = i > 0 && data[i - 1] === 0 ? i - 1 : i;
      starts.push({ at, body: i + 3 });
      i += 2;
    }
  }
  return starts.map((s, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]!.at : data.length;
    while (end > s.body && data[end - 1] === 0) end--; // trailing zero bytes belong to no unit
    return data.subarray(s.body, end);
  });
}

/** Packets, in decode order, from `ffprobe -show_packets` CSV lines `pts,dts,flags,pos,size` (any field order given). */
export function parsePackets(csv: string): VideoPacket[] {
  const out: VideoPacket[] = [];
  for (const line of csv.split('\n')) {
    const f = line.trim().split(',');
    if (f.length < 5 || f[0] !== 'packet') continue;
    // packet,pts,dts,size,pos,flags (ffprobe writes the entries in its own order)
    const [, pts, dts, size, pos, flags] = f;
    out.push({
      pts: Number(pts),
      dts: Number(dts),
      size: Number(size),
      pos: Number(pos),
      key: (flags ?? '').startsWith('K'),
    });
  }
  return out;
}

/**
 * Safe cut points: keyframes (by presentation-order index) that are IDR and closed — every packet before
 * it in decode order is shown before it, every packet after it is shown at or after it.
 */
export function findCutPoints(
  packets: VideoPacket[],
  isIdr: (decodeIndex: number) => boolean,
): { cutPoints: number[]; unsafe: number[] } {
  const n = packets.length;
  const order = packets.map((p) => p.pts).sort((a, b) => a - b);
  const indexOfPts = new Map(order.map((pts, k) => [pts, k]));
  const prefixMax: number[] = new Array(n);
  const suffixMin: number[] = new Array(n + 1);
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    prefixMax[j] = max;
    max = Math.max(max, packets[j]!.pts);
  }
  suffixMin[n] = Number.POSITIVE_INFINITY;
  for (let j = n - 1; j >= 0; j--) suffixMin[j] = Math.min(suffixMin[j + 1]!, packets[j]!.pts);
  const cutPoints: number[] = [];
  const unsafe: number[] = [];
  for (let j = 0; j < n; j++) {
    const p = packets[j]!;
    if (!p.key) continue;
    const frame = indexOfPts.get(p.pts)!;
    const closed = prefixMax[j]! < p.pts && suffixMin[j]! >= p.pts;
    if (closed && isIdr(j)) cutPoints.push(frame);
    else unsafe.push(frame);
  }
  return { cutPoints: cutPoints.sort((a, b) => a - b), unsafe: unsafe.sort((a, b) => a - b) };
}

/** The bytes of each packet read from `file` (undefined for one without a position or size). */
async function packetBytes(file: string, packets: VideoPacket[]): Promise<(Buffer | undefined)[]> {
  if (packets.length === 0) return [];
  const fh = await open(file, 'r');
  try {
    const out: (Buffer | undefined)[] = [];
    for (const p of packets) {
      if (!(p.size > 0) || !(p.pos >= 0)) {
        out.push(undefined);
        continue;
      }
      const buf = Buffer.alloc(p.size);
      await fh.read(buf, 0, p.size, p.pos);
      out.push(buf);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Presentation-order frame index → decode-order packet index. */
export function decodeIndexOfFrame(packets: VideoPacket[]): number[] {
  return packets.map((_, j) => j).sort((a, b) => packets[a]!.pts - packets[b]!.pts);
}

/**
 * What the decode of a split file holding source frames [from, end) (presentation order, `from` a cut point)
 * needs for frames [from, to) alone: its first `packets` packets (all frames shown before `to` and every one
 * they refer to, which come first in decode order) and the concat demuxer's `outpoint` that stops there —
 * halfway between the last kept and the first dropped packet's DTS on the file's own clock (the split pass
 * resets it to 0 at `from`). Undefined when the whole file is needed.
 */
export function partialDecode(
  scan: SourceScan,
  order: number[],
  span: { from: number; end: number; to: number },
): { packets: number; outpoint: string } | undefined {
  const first = Math.min(...order.slice(span.from, span.end));
  const last = Math.max(...order.slice(span.from, span.to));
  const packets = last + 1 - first;
  if (packets >= span.end - span.from) return undefined;
  const p = scan.packets;
  const mid = (p[last]!.dts + p[last + 1]!.dts) / 2 - p[order[span.from]!]!.pts;
  return { packets, outpoint: ((mid * scan.timeBaseNum) / scan.timescale).toFixed(6) };
}

/** Scans started ahead of the render by `prefetchScan`: one per file, taken by the next `scanSource` of it. */
const ahead = new Map<string, { version: Promise<string>; scan: Promise<SourceScan> }>();
const versionOf = (file: string) => stat(file).then((s) => `${s.size}:${s.mtimeMs}:${s.ino}`);

/**
 * Starts `scanSource(file)` now (a local edit does while it analyses the sound, on the core that leaves
 * idle), for the render's decision to take up; returns the function that drops it (and stops it, unfinished).
 */
export function prefetchScan(ffprobe: string, file: string, signal?: AbortSignal): () => void {
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const entry = { version: versionOf(file), scan: scanFile(ffprobe, file, both) };
  entry.version.catch(() => {});
  entry.scan.catch(() => {});
  ahead.set(file, entry);
  return () => {
    if (ahead.get(file) === entry) ahead.delete(file);
    stop.abort(); // no ffprobe of ours outlives the edit (a no-op once the scan is done)
  };
}

/**
 * Scans the first video stream of `file` (two ffprobe runs, then the keyframes' first bytes), or takes
 * the scan `prefetchScan` started of the file when the file has not changed since.
 */
export async function scanSource(ffprobe: string, file: string, signal?: AbortSignal): Promise<SourceScan> {
  const entry = ahead.get(file);
  if (entry) {
    ahead.delete(file);
    try {
      const [then, now] = await Promise.all([entry.version, versionOf(file)]);
      if (then === now) return await entry.scan;
    } catch {
      if (signal?.aborted) throw signal.reason;
      // a failed scan ahead (or a changed file) is scanned again: its error, if any, is the one to report
    }
  }
  return scanFile(ffprobe, file, signal);
}

async function scanFile(ffprobe: string, file: string, signal?: AbortSignal): Promise<SourceScan> {
  // the stream parameters and the packet list, side by side
  const [info, pk] = await Promise.all([
    runProcess(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'v', file],
      { purpose: 'probe', signal },
    ),
    runProcess(
      ffprobe,
      [
        ...['-v', 'error', '-select_streams', 'v:0', '-show_packets'],
        ...['-show_entries', 'packet=pts,dts,flags,pos,size', '-of', 'csv', file],
      ],
      { purpose: 'probe', signal },
    ),
  ]);
  const json = JSON.parse(info.stdout) as { streams?: ProbeStreamJson[]; format?: { format_name?: string } };
  const streams = json.streams ?? [];
  const s = streams[0] ?? {};
  const packets = parsePackets(pk.stdout);
  const [fpsNum, fpsDen] = ratio(s.r_frame_rate);
  const [avgNum, avgDen] = ratio(s.avg_frame_rate);
  const [timeBaseNum, timescale] = ratio(s.time_base);
  const nalLengthSize = Number(s.nal_length_size ?? 4) || 4;
  const sorted = packets.map((p) => p.pts).sort((a, b) => a - b);
  // One frame in ticks: timescale × den / (num × tbnum). CFR: every step equals it (±1 tick of rounding).
  const step = fpsNum > 0 ? (timescale * fpsDen) / (fpsNum * timeBaseNum) : 0;
  let cfr = fpsNum > 0 && fpsNum * avgDen === avgNum * fpsDen && sorted.length > 1;
  for (let k = 1; cfr && k < sorted.length; k++)
    if (Math.abs(sorted[k]! - sorted[k - 1]! - step) > 1) cfr = false;
  const isAvc = s.is_avc === 'true' || s.is_avc === '1';
  const idr = new Map<number, boolean>();
  if (s.codec_name === 'h264' && isAvc) {
    const keyframes = packets.flatMap((p, j) => (p.key ? [j] : []));
    const bytes = await packetBytes(
      file,
      keyframes.map((j) => packets[j]!),
    );
    keyframes.forEach((j, k) => {
      const vcl = bytes[k] && avccNalTypes(bytes[k], nalLengthSize).find((t) => t >= 1 && t <= 5);
      idr.set(j, vcl === 5);
    });
  }
  const { cutPoints, unsafe } = findCutPoints(packets, (j) => idr.get(j) === true);
  const rot =
    s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(s.tags?.rotate ?? 0);
  return {
    file,
    codec: s.codec_name,
    profile: s.profile,
    level: s.level,
    pixFmt: s.pix_fmt,
    bitsPerRawSample: s.bits_per_raw_sample ? Number(s.bits_per_raw_sample) : undefined,
    width: s.width,
    height: s.height,
    fpsNum,
    fpsDen,
    cfr,
    timescale,
    timeBaseNum,
    hasBFrames: s.has_b_frames ?? 0,
    nalLengthSize,
    isAvc,
    rotation: Number.isFinite(rot) ? rot : 0,
    formatName: json.format?.format_name ?? '',
    fieldOrder: s.field_order,
    videoStreams: streams.length,
    packets,
    frames: packets.length,
    cutPoints,
    unsafeKeyframes: unsafe,
    firstPts: sorted[0] ?? 0,
  };
}

/** SPS (7), PPS (8) and the x264 options string of an Annex-B stream's first access unit. */
export interface ParameterSets {
  sps: string[];
  pps: string[];
  x264Options?: string;
}

export function parameterSets(annexB: Buffer): ParameterSets {
  return setsOfUnits(annexBUnits(annexB));
}

function setsOfUnits(units: Buffer[]): ParameterSets {
  const sps = new Set<string>();
  const pps = new Set<string>();
  let x264Options: string | undefined;
  for (const unit of units) {
    const type = unit[0]! & 0x1f;
    if (type === 7) sps.add(unit.toString('hex'));
    else if (type === 8) pps.add(unit.toString('hex'));
    else if (type === 6 && x264Options === undefined) {
      const text = unit.toString('latin1');
      const m = /x264 - core .*? - options: ([^\0]*)/.exec(text);
      if (m) x264Options = m[1]!.replace(/[^\x20-\x7e].*$/s, '').trim();
    }
  }
  return { sps: [...sps], pps: [...pps], x264Options };
}

/**
 * The parameter sets a decoder of the scanned source starts with — its avcC's, and any its first packet
 * carries in-band — and x264's options string (an SEI in that packet): read from the file, no ffmpeg run.
 */
export async function sourceParameterSets(scan: SourceScan): Promise<ParameterSets> {
  const config = await readAvcC(scan.file);
  const [first] = await packetBytes(scan.file, scan.packets.slice(0, 1));
  const inBand = first ? avccUnits(first, scan.nalLengthSize) : [];
  return setsOfUnits([...config.sps, ...config.pps, ...inBand]);
}
