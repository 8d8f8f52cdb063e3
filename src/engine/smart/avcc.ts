/**
 * The avcC of an MP4's H.264 track (AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1): read it,
 * and add parameter sets to it. Why: the concat demuxer keeps only the first piece's SPS/PPS in the
 * joined file's avcC, so pieces encoded with other parameter sets (another `sps-id`) decode only while
 * their in-band sets are there; listing every piece's sets in the one avcC (the record allows several)
 * lets a player that reads only the avcC decode them all.
 *
 * Growing the avcC grows every box around it (avcC, avc1/avc3, stsd, stbl, minf, mdia, trak, moov). When
 * the moov stands before the media data (faststart), the media moves by the growth, so every track's
 * chunk offsets (stco/co64) that point past the moov are shifted too. The file is rewritten through a
 * temp file next to it (the bytes before and after the moov streamed, never read whole), then renamed.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { publish, removeQuietly, tempPathFor } from '../../base/atomic-output.js';

/** One ISO-BMFF box: positions in the buffer (or file) it was read from. */
export interface Box {
  type: string;
  start: number;
  /** Header length: 8, or 16 with a 64-bit size (size field 1). */
  header: number;
  end: number;
  /** How the size is written: 32-bit, 64-bit (largesize) or 0 (to the end of the parent / file). */
  sizeKind: 'u32' | 'u64' | 'toEnd';
}

export interface AvcConfig {
  /** configurationVersion (1). */
  version: number;
  /** AVCProfileIndication, profile_compatibility, AVCLevelIndication. */
  profile: number;
  compat: number;
  level: number;
  /** NAL length size − 1 (3: 4-byte lengths). */
  lengthSizeMinusOne: number;
  /** The NAL units (header byte included), in record order. */
  sps: Buffer[];
  pps: Buffer[];
  /** The bytes after the PPS list, verbatim (High profiles: chroma_format, bit depths, SPS extensions). */
  trailer: Buffer;
  /** The trailer read as the High-profile fields, when the profile has them and the trailer parses. */
  high?: { chromaFormat: number; bitDepthLuma: number; bitDepthChroma: number; spsExt: Buffer[] };
}

const HIGH_PROFILES = new Set([100, 110, 122, 144]);
/** Bytes of a VisualSampleEntry (avc1/avc3) before its child boxes: SampleEntry 8 + visual fields 70. */
const VISUAL_ENTRY = 78;
/** The moov is read whole: refuse one larger than this (a malformed size, not a real moov). */
const MAX_MOOV = 512 << 20;

function fail(message: string): never {
  throw new Error(`MP4/avcC: ${message}`);
}

/** The box whose header starts at `at` in `buf`, inside a parent that ends at `end`. */
export function header(buf: Buffer, at: number, end: number): Box {
  if (at + 8 > end || at + 8 > buf.length) fail(`truncated box header at ${at}`);
  const size32 = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  let size: number;
  let head = 8;
  let sizeKind: Box['sizeKind'] = 'u32';
  if (size32 === 1) {
    if (at + 16 > buf.length) fail(`truncated 64-bit size of ${type} at ${at}`);
    size = Number(buf.readBigUInt64BE(at + 8));
    head = 16;
    sizeKind = 'u64';
  } else if (size32 === 0) {
    size = end - at;
    sizeKind = 'toEnd';
  } else size = size32;
  if (size < head || at + size > end) fail(`box ${type} at ${at} has size ${size}, outside its parent`);
  return { type, start: at, header: head, end: at + size, sizeKind };
}

/**
 * The boxes laid end to end in `buf` from `start` to `end` (a container's payload). Fewer than 8 bytes
 * left over at the end (some muxers pad udta with a zero word) are passed over.
 */
export function boxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const out: Box[] = [];
  let at = start;
  while (end - at >= 8) {
    const box = header(buf, at, end);
    out.push(box);
    at = box.end;
  }
  return out;
}

export function child(buf: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
  return boxes(buf, parent.start + parent.header + skip, parent.end).find((b) => b.type === type);
}

/** Where, in a moov box's bytes, the video track's avcC is, with its ancestors, and every chunk offset table. */
interface MoovMap {
  /** moov, trak, mdia, minf, stbl, stsd, avc1|avc3, avcC. */
  path: Box[];
  chunkTables: Box[];
}

function mapMoov(moov: Buffer): MoovMap {
  const root = header(moov, 0, moov.length);
  let path: Box[] | undefined;
  const chunkTables: Box[] = [];
  for (const box of boxes(moov, root.header, root.end)) {
    if (box.type === 'mvex') fail('fragmented MP4 (moov/mvex) is not supported');
    if (box.type !== 'trak') continue;
    const mdia = child(moov, box, 'mdia');
    const minf = mdia && child(moov, mdia, 'minf');
    const stbl = minf && child(moov, minf, 'stbl');
    if (!mdia || !minf || !stbl) continue;
    const inStbl = boxes(moov, stbl.start + stbl.header, stbl.end);
    chunkTables.push(...inStbl.filter((b) => b.type === 'stco' || b.type === 'co64'));
    const stsd = inStbl.find((b) => b.type === 'stsd');
    if (path || !stsd) continue;
    // stsd is a full box: version/flags and entry_count before the sample entries
    const entry = boxes(moov, stsd.start + stsd.header + 8, stsd.end).find(
      (b) => b.type === 'avc1' || b.type === 'avc3',
    );
    const avcC = entry && child(moov, entry, 'avcC', VISUAL_ENTRY);
    if (entry && avcC) path = [root, box, mdia, minf, stbl, stsd, entry, avcC];
  }
  if (!path) fail('no H.264 (avc1/avc3) track with an avcC');
  return { path, chunkTables };
}

/** Parses an avcC payload (the record, without the box header). */
export function parseAvcC(data: Buffer): AvcConfig {
  if (data.length < 7 || data[0] !== 1) fail('not an AVCDecoderConfigurationRecord (version 1)');
  let at = 6;
  const list = (count: number, what: string): Buffer[] => {
    const units: Buffer[] = [];
    for (let k = 0; k < count; k++) {
      if (at + 2 > data.length) fail(`truncated ${what} list`);
      const len = data.readUInt16BE(at);
      if (at + 2 + len > data.length) fail(`truncated ${what}`);
      units.push(Buffer.from(data.subarray(at + 2, at + 2 + len)));
      at += 2 + len;
    }
    return units;
  };
  const sps = list(data[5]! & 0x1f, 'SPS');
  if (at >= data.length) fail('truncated PPS count');
  const pps = list(data[at++]!, 'PPS');
  const trailer = Buffer.from(data.subarray(at));
  const config: AvcConfig = {
    version: data[0]!,
    profile: data[1]!,
    compat: data[2]!,
    level: data[3]!,
    lengthSizeMinusOne: data[4]! & 3,
    sps,
    pps,
    trailer,
  };
  if (HIGH_PROFILES.has(config.profile) && trailer.length >= 4) {
    at = 4;
    const spsExt: Buffer[] = [];
    let ok = true;
    for (let k = 0; ok && k < trailer[3]!; k++) {
      const len = at + 2 <= trailer.length ? trailer.readUInt16BE(at) : -1;
      if (len < 0 || at + 2 + len > trailer.length) ok = false;
      else spsExt.push(Buffer.from(trailer.subarray(at + 2, at + 2 + len)));
      at += 2 + len;
    }
    if (ok)
      config.high = {
        chromaFormat: trailer[0]! & 3,
        bitDepthLuma: (trailer[1]! & 7) + 8,
        bitDepthChroma: (trailer[2]! & 7) + 8,
        spsExt,
      };
  }
  return config;
}

/** The avcC payload of `config` (the trailer written back verbatim). */
export function serializeAvcC(config: AvcConfig): Buffer {
  if (config.sps.length > 31) fail(`${config.sps.length} SPS: the record holds at most 31`);
  if (config.pps.length > 255) fail(`${config.pps.length} PPS: the record holds at most 255`);
  const unit = (u: Buffer): Buffer => {
    if (u.length > 0xffff) fail(`a parameter set of ${u.length} bytes`);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(u.length);
    return Buffer.concat([len, u]);
  };
  return Buffer.concat([
    Buffer.from([
      config.version,
      config.profile,
      config.compat,
      config.level,
      0xfc | (config.lengthSizeMinusOne & 3),
      0xe0 | config.sps.length,
    ]),
    ...config.sps.map(unit),
    Buffer.from([config.pps.length]),
    ...config.pps.map(unit),
    config.trailer,
  ]);
}

/** The first bytes of a NAL unit's RBSP (after its header byte, emulation-prevention bytes removed). */
function rbspHead(nal: Buffer, bytes: number): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (let i = 1; i < nal.length && out.length < bytes; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

/** An Exp-Golomb ue(v) at bit `pos` of `data`. */
function readUe(data: Buffer, pos: number): { value: number; next: number } {
  const bit = (p: number): number => {
    if (p >> 3 >= data.length) fail('parameter set too short for its id');
    return (data[p >> 3]! >> (7 - (p & 7))) & 1;
  };
  let zeros = 0;
  while (bit(pos) === 0) {
    zeros++;
    pos++;
    if (zeros > 31) fail('bad Exp-Golomb code in a parameter set');
  }
  pos++;
  let rest = 0;
  for (let k = 0; k < zeros; k++) rest = rest * 2 + bit(pos++);
  return { value: 2 ** zeros - 1 + rest, next: pos };
}

function nalType(nal: Buffer, want: number, what: string): void {
  if (nal.length < 2 || (nal[0]! & 0x80) !== 0 || (nal[0]! & 0x1f) !== want)
    fail(`not a ${what} NAL unit (type ${nal.length ? nal[0]! & 0x1f : 'none'}, want ${want})`);
}

/** seq_parameter_set_id of an SPS NAL unit (after profile_idc, the constraint flags and level_idc). */
export function spsId(nal: Buffer): number {
  nalType(nal, 7, 'SPS');
  const id = readUe(rbspHead(nal, 16), 24).value;
  if (id > 31) fail(`SPS id ${id} out of range`);
  return id;
}

/** pic_parameter_set_id of a PPS NAL unit (its first field). */
export function ppsId(nal: Buffer): number {
  nalType(nal, 8, 'PPS');
  const id = readUe(rbspHead(nal, 16), 0).value;
  if (id > 255) fail(`PPS id ${id} out of range`);
  return id;
}

async function topLevel(fh: FileHandle, fileSize: number): Promise<Box[]> {
  const out: Box[] = [];
  const head = Buffer.alloc(16);
  let at = 0;
  while (fileSize - at >= 8) {
    const { bytesRead } = await fh.read(head, 0, 16, at);
    const box = header(head.subarray(0, bytesRead), 0, fileSize - at);
    out.push({ ...box, start: at, end: at + box.end });
    at += box.end;
  }
  return out;
}

interface Loaded {
  fileSize: number;
  top: Box[];
  moovBox: Box;
  moov: Buffer;
  map: MoovMap;
}

/**
 * The file's one moov box, read whole (checked: one moov, no fragments, at most MAX_MOOV bytes), with the
 * top-level boxes and the file size. Throws (an Error naming the file) on anything else.
 */
export async function readMoov(
  fh: FileHandle,
  file: string,
): Promise<{ fileSize: number; top: Box[]; moovBox: Box; moov: Buffer }> {
  const fileSize = (await fh.stat()).size;
  const top = await topLevel(fh, fileSize);
  const moovs = top.filter((b) => b.type === 'moov');
  if (moovs.length !== 1) fail(`${file}: ${moovs.length} moov boxes (want one)`);
  if (top.some((b) => b.type === 'moof')) fail(`${file}: fragmented MP4 (moof) is not supported`);
  const moovBox = moovs[0]!;
  if (moovBox.end - moovBox.start > MAX_MOOV) fail(`${file}: moov of ${moovBox.end - moovBox.start} bytes`);
  const moov = Buffer.alloc(moovBox.end - moovBox.start);
  const { bytesRead } = await fh.read(moov, 0, moov.length, moovBox.start);
  if (bytesRead !== moov.length) fail(`${file}: short read of the moov`);
  // a moov of size 0 runs to the end of the file: in its own buffer, to the end of the buffer
  return { fileSize, top, moovBox, moov };
}

async function load(fh: FileHandle, file: string): Promise<Loaded> {
  const read = await readMoov(fh, file);
  return { ...read, map: mapMoov(read.moov) };
}

export function payload(buf: Buffer, box: Box): Buffer {
  return buf.subarray(box.start + box.header, box.end);
}

/** The avcC of `file`'s (first) H.264 track. */
export async function readAvcC(file: string): Promise<AvcConfig> {
  const fh = await open(file, 'r');
  try {
    const { moov, map } = await load(fh, file);
    return parseAvcC(payload(moov, map.path.at(-1)!));
  } finally {
    await fh.close();
  }
}

export interface AddedSets {
  /** How many SPS / PPS were added (identical ones already listed are not). */
  sps: number;
  pps: number;
  /** How many bytes the avcC (and the moov, and the file) grew by. */
  growth: number;
}

/** Adds `units` to `have`, keyed by id: an identical unit is skipped, another with a listed id throws. */
function merge(
  have: Buffer[],
  units: Buffer[],
  id: (u: Buffer) => number,
  what: string,
  file: string,
): number {
  const byId = new Map(have.map((u) => [id(u), u]));
  let added = 0;
  for (const u of units) {
    const k = id(u);
    const old = byId.get(k);
    if (old?.equals(u)) continue;
    if (old)
      fail(
        `${what} id ${k} is already in the avcC of ${file} with other content: ` +
          `the added sets need ids of their own (x264: sps-id=<n>)`,
      );
    byId.set(k, u);
    have.push(Buffer.from(u));
    added++;
  }
  return added;
}

/** Rewrites a box's size field for a box that grew by `growth`. */
function growBox(buf: Buffer, box: Box, growth: number): void {
  const size = box.end - box.start + growth;
  if (box.sizeKind === 'toEnd') return;
  if (box.sizeKind === 'u64') buf.writeBigUInt64BE(BigInt(size), box.start + 8);
  else if (size > 0xffffffff) fail(`box ${box.type} would outgrow its 32-bit size`);
  else buf.writeUInt32BE(size, box.start);
}

/** Shifts the chunk offsets (stco/co64, in `moov`) that point past `after` by `growth`. */
function shiftChunks(moov: Buffer, tables: Box[], after: number, growth: number): void {
  for (const t of tables) {
    const at = t.start + t.header; // full box: version/flags, then entry_count
    const count = moov.readUInt32BE(at + 4);
    const width = t.type === 'co64' ? 8 : 4;
    if (at + 8 + count * width > t.end) fail(`${t.type} lists more entries than it holds`);
    for (let k = 0; k < count; k++) {
      const pos = at + 8 + k * width;
      if (width === 8) {
        const v = moov.readBigUInt64BE(pos);
        if (v > BigInt(after)) moov.writeBigUInt64BE(v + BigInt(growth), pos);
      } else {
        const v = moov.readUInt32BE(pos);
        if (v <= after) continue;
        if (v + growth > 0xffffffff) fail('a chunk offset would outgrow stco (a co64 is needed)');
        moov.writeUInt32BE(v + growth, pos);
      }
    }
  }
}

async function copyRange(from: FileHandle, to: FileHandle, start: number, end: number): Promise<void> {
  const buf = Buffer.alloc(Math.min(1 << 20, Math.max(1, end - start)));
  for (let at = start; at < end; ) {
    const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) fail('the file shrank while it was copied');
    await to.write(buf, 0, bytesRead);
    at += bytesRead;
  }
}

/**
 * Makes the avcC of `file`'s H.264 track list `sets` beside its own (identical ones once; a set whose id
 * is listed with other content throws, leaving the file as it was). The level indication is raised to the
 * highest level of the listed SPS and the compatibility flags keep only those every SPS sets; the profile
 * and the trailer stay. The result replaces `file` (or is written to `options.out`) atomically; nothing is
 * written when nothing is added and there is no `out`.
 */
/**
 * An avcC record (payload) with `sets` listed beside its own: an identical set is skipped, another under a
 * listed id throws; the level is raised and the compatibility flags narrowed to cover the added SPS.
 */
export function recordWithSets(
  original: Buffer,
  sets: { sps: Buffer[]; pps: Buffer[] },
  file: string,
): { record: Buffer; sps: number; pps: number } {
  const config = parseAvcC(original);
  const sps = merge(config.sps, sets.sps, spsId, 'SPS', file);
  const pps = merge(config.pps, sets.pps, ppsId, 'PPS', file);
  for (const u of sets.sps) {
    const [, compat, level] = rbspHead(u, 3); // profile_idc, constraint flags, level_idc
    config.level = Math.max(config.level, level!);
    config.compat &= compat!;
  }
  return { record: sps + pps > 0 ? serializeAvcC(config) : original, sps, pps };
}

export async function addParameterSets(
  file: string,
  sets: { sps: Buffer[]; pps: Buffer[] },
  options: { out?: string } = {},
): Promise<AddedSets> {
  const dest = options.out ?? file;
  const src = await open(file, 'r');
  let temp: string | undefined;
  try {
    const { fileSize, moovBox, moov, map } = await load(src, file);
    const avcC = map.path.at(-1)!;
    const { record, sps, pps } = recordWithSets(payload(moov, avcC), sets, file);
    const growth = record.length - (avcC.end - avcC.start - avcC.header);
    if (growth === 0 && dest === file) return { sps, pps, growth };

    const patched = Buffer.from(moov);
    shiftChunks(patched, map.chunkTables, moovBox.start, growth);
    for (const box of map.path) growBox(patched, box, growth);
    const newMoov = Buffer.concat([
      patched.subarray(0, avcC.start + avcC.header),
      record,
      patched.subarray(avcC.end),
    ]);

    temp = tempPathFor(dest, 'avcc');
    const out = await open(temp, 'wx', 0o644);
    try {
      await copyRange(src, out, 0, moovBox.start);
      await out.write(newMoov);
      await copyRange(src, out, moovBox.end, fileSize);
      await out.sync();
    } finally {
      await out.close();
    }
    publish(temp, dest, { replace: true, synced: true });
    temp = undefined;
    return { sps, pps, growth };
  } finally {
    await src.close();
    if (temp) removeQuietly(temp);
  }
}
