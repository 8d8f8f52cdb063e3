import type { EditOp } from '../engine/types.js';
import type { Draft } from '../timeline/index.js';
import type { ServerContext } from './context.js';
import { fileKey, type Session } from './store.js';

/**
 * The engine's `resolveSrc` for this server: a draft `src` that is one of this server's `/media/…` or
 * `/renders/…` URLs (any host: clients may say localhost or 127.0.0.1), or the display name of a file
 * uploaded to the session, maps to its file on disk. Anything else is refused: the server reads no
 * paths a client names and has no network.
 */
export function mediaResolver(ctx: ServerContext, session?: Session): (src: string) => string {
  return (src: string): string => {
    let pathname: string | undefined;
    try {
      const url = new URL(src);
      if (url.protocol === 'http:' || url.protocol === 'https:') pathname = url.pathname;
    } catch {
      // not a URL: maybe an uploaded file's name
    }
    const found = pathname
      ? (ctx.store.media.get(fileKey(pathname))?.path ?? ctx.store.renderFiles.get(fileKey(pathname)))
      : session?.media.find((m) => m.info.filename === src)?.path;
    if (!found)
      throw new Error(
        `"${src}" is not a file uploaded to this session (nemo serve reads only its own media)`,
      );
    return found;
  };
}

/**
 * Ops name files by what the user typed ("add music song.mp3"); the engine opens such paths directly.
 * Here they must be files uploaded to the session: each becomes its path on disk, or the edit is
 * refused with the reason (the server never opens a path a client names).
 */
export function localizeOps(ops: EditOp[], resolve: (src: string) => string): EditOp[] {
  return ops.map((op) => {
    if ((op.op === 'music' || op.op === 'captions') && op.path) return { ...op, path: resolve(op.path) };
    if (op.op === 'grade' && op.look === 'lut') {
      throw new Error(
        'LUT files cannot be uploaded to nemo serve; pick a named look (warm, cool, cinematic, …)',
      );
    }
    return op;
  });
}

/** Puts this server's URLs back where the engine wrote an uploaded file's disk path into the draft. */
export function publishPaths(ctx: ServerContext, draft: Draft): Draft {
  const urlOf = new Map([...ctx.store.media.values()].map((m) => [m.path, m.info.cdn_url]));
  for (const track of draft.t) {
    for (const seg of track.sg) {
      const url = seg.m?.src && urlOf.get(seg.m.src);
      if (url) seg.m!.src = url;
    }
  }
  return draft;
}
