import { createHash } from 'node:crypto';
import { copyFile, type FileHandle, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import type { Draft } from '../timeline/index.js';
import type { ServerContext } from './context.js';
import { envelopeError, type HttpError, readJsonObject, sendData } from './http.js';
import { newStoredName } from './ids.js';
import { kindOf, SUPPORTED_EXTENSIONS } from './media-types.js';
import { MultipartError, MultipartParser, multipartBoundary } from './multipart.js';
import { requireSession } from './sessions.js';
import { fileKey, type Session, type StoredMedia, type TokenRecord, type VideoInfo } from './store.js';

/**
 * The name shown to people: the last path component, control characters removed. Names with NUL, or
 * that are empty, `.` or `..` after that, are refused. Files are stored under generated names anyway.
 */
export function displayName(raw: string): string | undefined {
  if (raw.includes('\0')) return undefined;
  const base = (raw.split(/[\\/]/).pop() ?? '').replace(/[\x00-\x1f\x7f]/g, '').trim();
  if (!base || base === '.' || base === '..') return undefined;
  return base.slice(-255);
}

/** The lower-case extension of an acceptable name, or a 4001. */
function acceptedExtension(rawName: string): { name: string; ext: string } {
  const name = displayName(rawName);
  if (!name) throw envelopeError(400, 4001, `Invalid file name ${JSON.stringify(rawName)}`);
  const ext = extname(name).slice(1).toLowerCase();
  if (!kindOf(ext)) {
    throw envelopeError(
      400,
      4001,
      `Unsupported file type "${name}". Supported: ${SUPPORTED_EXTENSIONS.join(', ')}`,
    );
  }
  return { name, ext };
}

const tooLarge = (max: number): HttpError => envelopeError(413, 4002, `File too large (limit ${max} bytes)`);

interface Incoming {
  name: string;
  ext: string;
  /** Where the bytes are (a temp name in the session's upload dir). */
  path: string;
  hash: string;
}

/** Thrown after the `upload-reset` fault destroyed the socket: nothing to answer. */
class ResetByFault extends Error {}

/**
 * `POST /api/upload-video/nemo_agent/me/<sid>` (§4.5): multipart `files` streamed to disk, or JSON
 * `{urls, source_type:"url"}` (only this server's own media and render URLs: it has no network).
 * All or nothing: when any file fails, none of the request's files is kept.
 */
export async function upload(
  ctx: ServerContext,
  token: TokenRecord,
  sid: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const session = requireSession(ctx, token, sid);
  const dir = join(ctx.dataDir, 'uploads', session.id);
  await mkdir(dir, { recursive: true });
  const contentType = String(req.headers['content-type'] ?? '');
  const received: Incoming[] = [];
  try {
    if (/^application\/json\b/i.test(contentType)) {
      await importUrls(ctx, req, dir, received);
    } else {
      const boundary = multipartBoundary(contentType);
      if (!boundary) {
        throw envelopeError(
          400,
          400,
          'Expected multipart/form-data with "files" parts, or JSON {"urls": […]}',
        );
      }
      await receiveMultipart(ctx, req, boundary, dir, received);
    }
    if (received.length === 0)
      throw envelopeError(400, 4001, 'No files in the upload (multipart field "files")');
    const stored = await storeAll(ctx, req, session, received);
    sendData(res, { files: stored.map((m) => m.info), session_state_applied: true });
  } catch (err) {
    await Promise.all(received.map((f) => rm(f.path, { force: true })));
    if (err instanceof ResetByFault) return;
    throw err;
  }
}

async function receiveMultipart(
  ctx: ServerContext,
  req: IncomingMessage,
  boundary: string,
  dir: string,
  received: Incoming[],
): Promise<void> {
  const max = ctx.opts.maxUploadBytes;
  const declared = Number(req.headers['content-length']);
  // Multipart framing adds a little; anything far past the cap is refused before a byte is read.
  if (Number.isFinite(declared) && declared > max + 64 * 1024) throw tooLarge(max);
  const reset = ctx.faults.take('upload-reset');
  const resetAt = reset
    ? Math.min(64 * 1024, Number.isFinite(declared) ? Math.floor(declared / 2) : 64 * 1024)
    : -1;
  let file: { fh: FileHandle; hash: ReturnType<typeof createHash>; incoming: Incoming } | undefined;
  let partBytes = 0;
  const parser = new MultipartParser(boundary, {
    async onPartStart(h) {
      if (h.filename === undefined) return; // a plain field: ignored
      const { name, ext } = acceptedExtension(h.filename);
      const incoming: Incoming = { name, ext, path: join(dir, `.${newStoredName(ext)}.part`), hash: '' };
      received.push(incoming);
      file = { fh: await open(incoming.path, 'wx'), hash: createHash('md5'), incoming };
    },
    async onPartData(chunk) {
      partBytes += chunk.length; // plain fields count too
      if (partBytes > max) throw tooLarge(max);
      if (!file) return;
      file.hash.update(chunk);
      await file.fh.write(chunk);
    },
    async onPartEnd() {
      if (!file) return;
      await file.fh.close();
      file.incoming.hash = file.hash.digest('hex');
      file = undefined;
    },
  });
  let bytes = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (resetAt >= 0 && bytes >= resetAt) {
        ctx.log(`fault upload-reset: destroyed the upload socket after ${bytes} bytes`);
        req.socket.destroy();
        throw new ResetByFault();
      }
      await parser.write(chunk);
    }
    parser.end();
  } catch (err) {
    if (err instanceof MultipartError) throw envelopeError(400, 400, `Bad multipart body: ${err.message}`);
    throw err;
  } finally {
    await file?.fh.close().catch(() => undefined);
  }
}

/** Copies this server's own media/render URLs into the session; anything else needs a network. */
async function importUrls(ctx: ServerContext, req: IncomingMessage, dir: string, received: Incoming[]) {
  const body = await readJsonObject(req, ctx.opts.maxJsonBytes);
  const urls = body.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    throw envelopeError(400, 400, 'Expected {"urls": ["…"], "source_type": "url"}');
  }
  for (const url of urls as string[]) {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      throw envelopeError(400, 4001, `Not a URL: ${JSON.stringify(url)}`);
    }
    const source = ctx.store.media.get(fileKey(path))?.path ?? ctx.store.renderFiles.get(fileKey(path));
    if (!source) {
      throw envelopeError(
        400,
        4001,
        `nemo serve has no network access: it can import only its own /media and /renders URLs, not ${url}. Upload the file instead.`,
      );
    }
    const { name, ext } = acceptedExtension(fileKey(path).split('/').pop() ?? '');
    const incoming: Incoming = { name, ext, path: join(dir, `.${newStoredName(ext)}.part`), hash: '' };
    received.push(incoming);
    await copyFile(source, incoming.path);
    incoming.hash = createHash('md5')
      .update(await readFile(incoming.path))
      .digest('hex');
  }
}

/** Probes each received file, moves it under its final generated name, and adds it to the session. */
async function storeAll(
  ctx: ServerContext,
  req: IncomingMessage,
  session: Session,
  received: Incoming[],
): Promise<StoredMedia[]> {
  const base = ctx.baseUrl(req);
  const probed = [];
  for (const f of received) {
    const probe = await ctx.engine.probeMedia(f.path).catch((err: Error) => {
      ctx.log(`upload: probing ${f.name} failed: ${err.message}`);
      throw envelopeError(400, 4001, `"${f.name}" is not a readable ${kindOf(f.ext)} file`);
    });
    probed.push({ f, probe });
  }
  const stored: StoredMedia[] = [];
  for (const { f, probe } of probed) {
    const storedName = newStoredName(f.ext);
    const path = join(ctx.dataDir, 'uploads', session.id, storedName);
    await rename(f.path, path);
    f.path = path; // cleaned up with the rest if a later rename fails
    // Like the vendor's CDN (`…/videos/xxx/video.mp4`): a random folder, then the display name.
    const urlPath = `/media/${session.id}/${storedName.split('.')[0]}/${encodeURIComponent(f.name)}`;
    const info: VideoInfo = {
      filename: f.name,
      file_type: kindOf(f.ext)!,
      cdn_url: base + urlPath,
      duration: Math.round(probe.durationMs) / 1000,
      width: probe.width ?? null,
      height: probe.height ?? null,
      fps: probe.fps ?? null,
      hash: f.hash,
    };
    stored.push({ info, path, probe });
  }
  const media = [...session.media, ...stored];
  const draft = session.edited ? session.draft : draftOfUploads(ctx, media);
  session.media = media;
  session.draft = draft;
  for (const m of stored) ctx.store.media.set(fileKey(new URL(m.info.cdn_url).pathname), m);
  ctx.store.stats.uploadsStored += stored.length;
  return stored;
}

/**
 * Until the first edit, the session's draft is `draftFromMedia` of its uploaded videos and images (so
 * state shows an export-ready draft right after an upload). After an edit the agent owns the draft and
 * later uploads only join `video_infos` (usable as music by name).
 */
function draftOfUploads(ctx: ServerContext, media: StoredMedia[]): Draft | undefined {
  const visual = media.filter((m) => m.info.file_type !== 'audio');
  if (visual.length === 0) return undefined;
  const draft = ctx.engine.draftFromMedia(visual.map((m) => ({ src: m.info.cdn_url, info: m.probe })));
  // Segments are named after their URL's last part (percent-encoded); people know the file name.
  const names = new Map(visual.map((m) => [m.info.cdn_url, m.info.filename]));
  for (const seg of draft.t.flatMap((t) => t.sg)) {
    const name = seg.m?.src && names.get(seg.m.src);
    if (name) seg.m!.name = name;
  }
  return draft;
}
