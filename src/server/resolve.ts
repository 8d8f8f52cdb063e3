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
      throw new Error(`"${src}" is not a file uploaded to this server (nemo serve reads only its own media)`);
    return found;
  };
}
