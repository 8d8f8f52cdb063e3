/**
 * The smart render's join, without ffmpeg: the pieces (video-only MP4s from the split and encode passes,
 * each starting with an IDR) and the encoded sound (an MP4 with one AAC track) are written into one MP4 by
 * copying their samples' bytes and writing the sample tables anew. The concat demuxer did this in 1.2-1.5 s
 * on the 3-minute trim (it opens and probes each of its ~70 files); this reads each file's moov and copies.
 *
 * Layout: ftyp, moov (faststart), one mdat of chunks of about a second, video and sound interleaved. Video
 * timing: the source is CFR (an eligibility rule), so sample k decodes at k frames; its composition offset
 * keeps each piece's own (pts - dts) shifted by one delay for all (the largest piece's), and the edit list
 * starts the presentation at the first frame. The avcC is the first piece's with `addSets` listed beside
 * its own. The sound keeps its own edit list (the AAC priming). A structure this does not know (another
 * timescale, fragments, several tracks) throws `JoinError`: the caller then joins with ffmpeg.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { type Box, boxes, child, header, payload, readMoov, recordWithSets } from './avcc.js';

export class JoinError extends Error {}

function fail(message: string): never {
  throw new JoinError(`join: ${message}`);
}

interface Sample {
  file: number;
  offset: number;
  size: number;
}

interface Track {
  moov: Buffer;
  trak: Box;
  timescale: number;
  samples: Sample[];
  durations: number[];
  /** Composition offsets (pts - dts), per sample. */
  cts: number[];
  /** Sync sample indices (0-based); undefined: every sample is one. */
  sync?: Set<number>;
  /** The edit list's first media time (-1 entries skipped) and the presented duration (movie ticks). */
  mediaTime: number;
  movieTimescale: number;
  presented?: number;
}

const u32 = (b: Buffer, at: number) => b.readUInt32BE(at);

function fullPayload(buf: Buffer, box: Box): { version: number; body: Buffer } {
  const p = payload(buf, box);
  return { version: p[0]!, body: p.subarray(4) };
}

/** `file`'s moov (avcc.ts's reader); a file it refuses is a JoinError, so the caller joins with ffmpeg. */
async function moovOf(fh: FileHandle, file: string): Promise<Buffer> {
  try {
    return (await readMoov(fh, file)).moov;
  } catch (err) {
    return fail((err as Error).message);
  }
}

function mvhdTimescale(moov: Buffer): number {
  const mvhd = child(moov, header(moov, 0, moov.length), 'mvhd') ?? fail('no mvhd');
  const { version, body } = fullPayload(moov, mvhd);
  return u32(body, version === 1 ? 16 : 8);
}

/** The one track of `handler` ('vide' | 'soun') in a moov, its samples in decode order. */
function readTrack(moov: Buffer, handler: string, fileIndex: number, file: string): Track {
  const root = header(moov, 0, moov.length);
  const traks = boxes(moov, root.header, root.end).filter((b) => b.type === 'trak');
  const matching = traks.filter((t) => {
    const hdlr = child(moov, child(moov, t, 'mdia') ?? t, 'hdlr');
    return hdlr && moov.toString('latin1', hdlr.start + 16, hdlr.start + 20) === handler;
  });
  if (matching.length !== 1) fail(`${file}: ${matching.length} ${handler} tracks`);
  const trak = matching[0]!;
  const mdia = child(moov, trak, 'mdia')!;
  const mdhd = child(moov, mdia, 'mdhd') ?? fail(`${file}: no mdhd`);
  const md = fullPayload(moov, mdhd);
  const timescale = u32(md.body, md.version === 1 ? 16 : 8);
  const stbl = child(moov, child(moov, mdia, 'minf') ?? fail('no minf'), 'stbl') ?? fail('no stbl');
  const need = (t: string) => child(moov, stbl, t) ?? fail(`${file}: no ${t}`);
  // sizes
  const stsz = fullPayload(moov, need('stsz')).body;
  const fixed = u32(stsz, 0);
  const count = u32(stsz, 4);
  const sizes = Array.from({ length: count }, (_, k) => (fixed ? fixed : u32(stsz, 8 + 4 * k)));
  // chunk offsets and samples per chunk
  const co = child(moov, stbl, 'stco') ?? child(moov, stbl, 'co64') ?? fail(`${file}: no stco`);
  const cob = fullPayload(moov, co).body;
  const chunks = Array.from({ length: u32(cob, 0) }, (_, k) =>
    co.type === 'co64' ? Number(cob.readBigUInt64BE(4 + 8 * k)) : u32(cob, 4 + 4 * k),
  );
  const stsc = fullPayload(moov, need('stsc')).body;
  const runs = Array.from({ length: u32(stsc, 0) }, (_, k) => ({
    first: u32(stsc, 4 + 12 * k),
    per: u32(stsc, 8 + 12 * k),
    sdi: u32(stsc, 12 + 12 * k),
  }));
  if (runs.some((r) => r.sdi !== 1)) fail(`${file}: several sample descriptions`);
  const samples: Sample[] = [];
  for (let c = 0, r = 0; c < chunks.length; c++) {
    while (r + 1 < runs.length && runs[r + 1]!.first <= c + 1) r++;
    let at = chunks[c]!;
    for (let k = 0; k < (runs[r]?.per ?? 0) && samples.length < count; k++) {
      const size = sizes[samples.length]!;
      samples.push({ file: fileIndex, offset: at, size });
      at += size;
    }
  }
  if (samples.length !== count) fail(`${file}: ${samples.length} samples in chunks, ${count} sizes`);
  // times
  const expand = (b: Buffer, signed: boolean) => {
    const out: number[] = [];
    for (let k = 0; k < u32(b, 0); k++) {
      const n = u32(b, 4 + 8 * k);
      const v = signed ? b.readInt32BE(8 + 8 * k) : u32(b, 8 + 8 * k);
      for (let j = 0; j < n; j++) out.push(v);
    }
    return out;
  };
  const durations = expand(fullPayload(moov, need('stts')).body, false);
  const cttsBox = child(moov, stbl, 'ctts');
  const ctts = cttsBox ? fullPayload(moov, cttsBox) : undefined;
  const cts = ctts ? expand(ctts.body, ctts.version === 1) : durations.map(() => 0);
  if (durations.length !== count || cts.length !== count) fail(`${file}: sample tables disagree`);
  const stssBox = child(moov, stbl, 'stss');
  let sync: Set<number> | undefined;
  if (stssBox) {
    const b = fullPayload(moov, stssBox).body;
    sync = new Set(Array.from({ length: u32(b, 0) }, (_, k) => u32(b, 4 + 4 * k) - 1));
  }
  // the edit list: the first entry that shows media (an empty edit, media_time -1, would delay the track)
  let mediaTime = 0;
  let presented: number | undefined;
  const elst = child(moov, child(moov, trak, 'edts') ?? trak, 'elst');
  if (elst) {
    const { version, body } = fullPayload(moov, elst);
    const n = u32(body, 0);
    const w = version === 1 ? 20 : 12;
    for (let k = 0; k < n; k++) {
      const at = 4 + w * k;
      const dur = version === 1 ? Number(body.readBigUInt64BE(at)) : u32(body, at);
      const mt = version === 1 ? Number(body.readBigInt64BE(at + 8)) : body.readInt32BE(at + 4);
      if (mt === -1) {
        // an empty edit delays the track: the split's first piece has one (the source's first frame at 2
        // frames), which the join's own timing replaces; a delayed sound would be out of sync
        if (dur > 0 && handler === 'soun') fail(`${file}: an empty edit delays the sound`);
        continue;
      }
      if (presented !== undefined) fail(`${file}: several edits`);
      mediaTime = mt;
      presented = dur;
    }
  }
  return {
    moov,
    trak,
    timescale,
    samples,
    durations,
    cts,
    sync,
    mediaTime,
    movieTimescale: mvhdTimescale(moov),
    presented,
  };
}

// ---- writing boxes

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

function full(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...parts);
}

function words(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, k) => {
    b.writeUInt32BE(v >>> 0, 4 * k);
  });
  return b;
}

/** Run-length (count, value) pairs of `values`. */
function runs(values: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

const raw = (buf: Buffer, b: Box) => buf.subarray(b.start, b.end);

/** tkhd / mdhd with another duration (and, tkhd, track id). */
function withDuration(buf: Buffer, b: Box, duration: number, trackId?: number): Buffer {
  const out = Buffer.from(raw(buf, b));
  const version = out[8]!;
  const isTkhd = b.type === 'tkhd';
  if (version === 1) {
    if (isTkhd && trackId) out.writeUInt32BE(trackId, 8 + 4 + 16);
    out.writeBigUInt64BE(BigInt(duration), 8 + 4 + (isTkhd ? 24 : 20));
  } else {
    if (isTkhd && trackId) out.writeUInt32BE(trackId, 8 + 4 + 8);
    out.writeUInt32BE(duration >>> 0, 8 + 4 + (isTkhd ? 16 : 12));
  }
  return out;
}

interface Chunk {
  track: 0 | 1;
  first: number;
  count: number;
  bytes: number;
}

function stbl(
  stsd: Buffer,
  t: { durations: number[]; cts?: number[]; sync?: number[]; sizes: number[] },
  chunks: Chunk[],
  offsets: number[],
  co64: boolean,
): Buffer {
  const stts = runs(t.durations);
  const parts = [stsd, full('stts', 0, 0, words([stts.length, ...stts.flat()]))];
  if (t.cts) {
    const c = runs(t.cts);
    parts.push(full('ctts', 0, 0, words([c.length, ...c.flat()])));
  }
  if (t.sync) parts.push(full('stss', 0, 0, words([t.sync.length, ...t.sync.map((k) => k + 1)])));
  const per = runs(chunks.map((c) => c.count));
  const stsc: number[] = [];
  let at = 1;
  for (const [n, v] of per) {
    stsc.push(at, v, 1);
    at += n;
  }
  parts.push(full('stsc', 0, 0, words([per.length, ...stsc])));
  parts.push(full('stsz', 0, 0, words([0, t.sizes.length, ...t.sizes])));
  if (co64) {
    const b = Buffer.alloc(4 + 8 * offsets.length);
    b.writeUInt32BE(offsets.length, 0);
    offsets.forEach((o, k) => {
      b.writeBigUInt64BE(BigInt(o), 4 + 8 * k);
    });
    parts.push(full('co64', 0, 0, b));
  } else parts.push(full('stco', 0, 0, words([offsets.length, ...offsets])));
  return box('stbl', ...parts);
}

function elst(segment: number, mediaTime: number): Buffer {
  const b = Buffer.alloc(4 + 12);
  b.writeUInt32BE(1, 0);
  b.writeUInt32BE(segment >>> 0, 4);
  b.writeInt32BE(mediaTime, 8);
  b.writeUInt32BE(0x00010000, 12);
  return box('edts', full('elst', 0, 0, b));
}

/** trak = tkhd, edts, mdia (mdhd, hdlr, minf: the source's boxes but its stbl, then the new stbl). */
function trak(
  t: Track,
  trackId: number,
  movieDuration: number,
  mediaDuration: number,
  edts: Buffer,
  newStbl: Buffer,
) {
  const m = t.moov;
  const tkhd = child(m, t.trak, 'tkhd') ?? fail('no tkhd');
  const mdia = child(m, t.trak, 'mdia')!;
  const minf = child(m, mdia, 'minf')!;
  const minfParts = boxes(m, minf.start + minf.header, minf.end)
    .filter((b) => b.type !== 'stbl')
    .map((b) => raw(m, b));
  return box(
    'trak',
    withDuration(m, tkhd, movieDuration, trackId),
    edts,
    box(
      'mdia',
      withDuration(m, child(m, mdia, 'mdhd')!, mediaDuration),
      raw(m, child(m, mdia, 'hdlr')!),
      box('minf', ...minfParts, newStbl),
    ),
  );
}

function stsdOf(t: Track): Buffer {
  const stbl = child(t.moov, child(t.moov, child(t.moov, t.trak, 'mdia')!, 'minf')!, 'stbl')!;
  return raw(t.moov, child(t.moov, stbl, 'stsd') ?? fail('no stsd'));
}

/** The first piece's stsd with `sets` added to its avcC. */
function videoStsd(t: Track, sets: { sps: Buffer[]; pps: Buffer[] } | undefined, file: string): Buffer {
  const stsd = stsdOf(t);
  if (!sets) return stsd;
  const s = header(stsd, 0, stsd.length);
  const entries = boxes(stsd, s.header + 8, s.end);
  if (entries.length !== 1 || !/^avc[13]$/.test(entries[0]!.type)) fail('not one avc1 sample entry');
  const entry = entries[0]!;
  const fixedEnd = entry.start + entry.header + 78;
  const kids = boxes(stsd, fixedEnd, entry.end).map((b) =>
    b.type === 'avcC' ? box('avcC', recordWithSets(payload(stsd, b), sets, file).record) : raw(stsd, b),
  );
  const newEntry = box(entry.type, stsd.subarray(entry.start + entry.header, fixedEnd), ...kids);
  return full('stsd', 0, 0, words([1]), newEntry);
}

export interface JoinInput {
  /** The video pieces in order (each a video-only MP4 starting with an IDR). */
  pieces: string[];
  /** An MP4 whose one audio track is the output's sound, if any. */
  audio?: string;
  /** The frame duration in the pieces' timescale (the source is CFR). */
  frameTicks: number;
  /** Parameter sets to list in the avcC beside the first piece's. */
  addSets?: { sps: Buffer[]; pps: Buffer[] };
  out: string;
  /** 64-bit chunk offsets (co64) even when the file would not need them (it does past 4 GiB). */
  co64?: boolean;
}

export async function joinPieces(input: JoinInput): Promise<void> {
  const files = [...input.pieces, ...(input.audio ? [input.audio] : [])];
  const handles: FileHandle[] = [];
  try {
    for (const f of files) handles.push(await open(f, 'r'));
    const moovs = await Promise.all(handles.map((h, k) => moovOf(h, files[k]!)));
    const videos = input.pieces.map((f, k) => readTrack(moovs[k]!, 'vide', k, f));
    const ts = videos[0]!.timescale;
    const F = input.frameTicks;
    if (videos.some((v) => v.timescale !== ts)) fail('the pieces have different timescales');
    // the video's samples, decode times k·F, composition offsets shifted by one delay D for all
    const samples: Sample[] = [];
    const rel: number[] = [];
    const sync: number[] = [];
    for (const v of videos) {
      v.samples.forEach((s, j) => {
        if (v.durations[j] !== F && j < v.samples.length - 1) fail('a piece is not at a constant frame rate');
        if (!v.sync || v.sync.has(j)) sync.push(samples.length);
        rel.push(v.cts[j]! - v.mediaTime); // presentation - decode of the piece's own frames, before the shift
        samples.push(s);
      });
      if (!(v.sync?.has(0) ?? true)) fail('a piece does not start with a sync sample');
    }
    const D = Math.max(0, ...rel.map((r) => -r));
    const cts = rel.map((r) => r + D);
    const n = samples.length;
    const videoDuration = n * F;

    const audio = input.audio ? readTrack(moovs.at(-1)!, 'soun', files.length - 1, input.audio) : undefined;
    // chunks of about a second: video, then the sound of the same span
    const chunks: Chunk[] = [];
    let a = 0;
    const aTimes: number[] = [];
    if (audio) {
      let t = 0;
      for (const d of audio.durations) {
        aTimes.push(t);
        t += d;
      }
    }
    const per = Math.max(1, Math.round(ts / F));
    for (let v = 0; v < n; v += per) {
      const count = Math.min(per, n - v);
      chunks.push({ track: 0, first: v, count, bytes: 0 });
      if (audio) {
        const until = ((v + count) * F) / ts; // seconds
        const first = a;
        while (a < audio.samples.length && (aTimes[a]! - audio.mediaTime) / audio.timescale < until) a++;
        if (v + count >= n) a = audio.samples.length;
        if (a > first) chunks.push({ track: 1, first, count: a - first, bytes: 0 });
      }
    }
    const trackSamples = (c: Chunk) =>
      (c.track === 0 ? samples : audio!.samples).slice(c.first, c.first + c.count);
    for (const c of chunks) c.bytes = trackSamples(c).reduce((k, s) => k + s.size, 0);

    const ftyp = box(
      'ftyp',
      Buffer.from('isom', 'latin1'),
      words([512]),
      Buffer.from('isomiso2avc1mp41', 'latin1'),
    );
    const movieTs = 1000;
    const movieVideo = Math.round((videoDuration * movieTs) / ts);
    const audioMedia = audio ? audio.durations.reduce((k, d) => k + d, 0) : 0;
    const audioPresented = audio
      ? Math.round(
          ((audio.presented ?? ((audioMedia - audio.mediaTime) * audio.movieTimescale) / audio.timescale) *
            movieTs) /
            audio.movieTimescale,
        )
      : 0;
    const moovFor = (offsets: number[], co64: boolean) => {
      const vChunks = chunks.filter((c) => c.track === 0);
      const aChunks = chunks.filter((c) => c.track === 1);
      const vOffsets = offsets.filter((_, k) => chunks[k]!.track === 0);
      const aOffsets = offsets.filter((_, k) => chunks[k]!.track === 1);
      const mvhd = Buffer.alloc(96);
      mvhd.writeUInt32BE(movieTs, 8);
      mvhd.writeUInt32BE(Math.max(movieVideo, audioPresented), 12);
      mvhd.writeUInt32BE(0x00010000, 16);
      mvhd.writeUInt16BE(0x0100, 20);
      words([0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000]).copy(mvhd, 32); // the identity matrix
      mvhd.writeUInt32BE(audio ? 3 : 2, 92);
      const parts = [
        full('mvhd', 0, 0, mvhd),
        trak(
          videos[0]!,
          1,
          movieVideo,
          videoDuration,
          elst(movieVideo, D),
          stbl(
            videoStsd(videos[0]!, input.addSets, input.pieces[0]!),
            {
              durations: samples.map(() => F),
              cts,
              sync: sync.length === n ? undefined : sync,
              sizes: samples.map((s) => s.size),
            },
            vChunks,
            vOffsets,
            co64,
          ),
        ),
      ];
      if (audio)
        parts.push(
          trak(
            audio,
            2,
            audioPresented,
            audioMedia,
            elst(audioPresented, audio.mediaTime),
            stbl(
              stsdOf(audio),
              { durations: audio.durations, sizes: audio.samples.map((s) => s.size) },
              aChunks,
              aOffsets,
              co64,
            ),
          ),
        );
      return box('moov', ...parts);
    };
    const total = chunks.reduce((k, c) => k + c.bytes, 0);
    const co64 = input.co64 === true || total + 16 + (1 << 22) > 0xffffffff;
    const sizing = moovFor(
      chunks.map(() => 0),
      co64,
    );
    const mdatHead = co64 ? 16 : 8;
    const offsets: number[] = [];
    let at = ftyp.length + sizing.length + mdatHead;
    for (const c of chunks) {
      offsets.push(at);
      at += c.bytes;
    }
    const moov = moovFor(offsets, co64);
    if (moov.length !== sizing.length) fail('the moov changed size');
    const head = Buffer.alloc(mdatHead);
    if (co64) {
      head.writeUInt32BE(1, 0);
      head.write('mdat', 4, 'latin1');
      head.writeBigUInt64BE(BigInt(total + 16), 8);
    } else {
      head.writeUInt32BE(total + 8, 0);
      head.write('mdat', 4, 'latin1');
    }
    const out = await open(input.out, 'w');
    try {
      let pos = 0;
      const put = async (b: Buffer) => {
        await out.write(b, 0, b.length, pos);
        pos += b.length;
      };
      await put(ftyp);
      await put(moov);
      await put(head);
      for (const c of chunks) {
        // the samples' bytes, contiguous runs of one file read at once
        const list = trackSamples(c);
        for (let i = 0; i < list.length; ) {
          let j = i + 1;
          let len = list[i]!.size;
          while (
            j < list.length &&
            list[j]!.file === list[i]!.file &&
            list[j]!.offset === list[i]!.offset + len
          ) {
            len += list[j]!.size;
            j++;
          }
          const buf = Buffer.alloc(len);
          const { bytesRead } = await handles[list[i]!.file]!.read(buf, 0, len, list[i]!.offset);
          if (bytesRead !== len) fail(`${files[list[i]!.file]}: short read`);
          await put(buf);
          i = j;
        }
      }
      if (pos !== at) fail('wrote a different length than laid out');
    } finally {
      await out.close();
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}
