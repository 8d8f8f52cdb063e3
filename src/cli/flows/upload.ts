import { basename } from 'node:path';
import type { NemoClient } from '../../api/index.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import type { Output } from '../output.js';

export const isUrl = (item: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(item);

/**
 * Checks every file (and URL) locally before anything is sent: exists, is a file, readable, not empty,
 * ≤ 500 MB, a supported extension whose magic bytes agree. Throws exit-2 errors with the fix.
 */
export async function checkInputs(items: readonly string[]): Promise<void> {
  if (items.length === 0)
    throw new UsageError('no input files', 'give at least one file: nemo edit clip.mp4 "<instruction>"');
  const { validateUploadFile, checkHttpUrl } = await import('../../api/index.js');
  for (const item of items) {
    if (isUrl(item)) checkHttpUrl(item);
    else await validateUploadFile(item);
  }
}

/** Uploads files (one request each, for per-file progress) and URLs into a session. */
export async function uploadItems(
  ctx: Ctx,
  out: Output,
  client: NemoClient,
  sessionId: string,
  items: readonly string[],
): Promise<void> {
  const urls = items.filter(isUrl);
  for (const file of items.filter((i) => !isUrl(i))) {
    const name = basename(file);
    const progress = out.progress(`uploading ${name}`, {
      event: 'upload.progress',
      bytes: true,
      fields: (sentBytes, totalBytes) => ({ file, sentBytes, totalBytes }),
    });
    try {
      await client.uploads.files(sessionId, [file], {
        signal: ctx.interrupt.signal,
        onProgress: (p) => progress.update(p.sentBytes, p.totalBytes),
      });
    } catch (err) {
      progress.fail();
      throw err;
    }
    progress.finish(`uploaded ${name}`);
  }
  if (urls.length > 0) {
    await client.uploads.urls(sessionId, urls, { signal: ctx.interrupt.signal });
    out.info(`imported ${urls.length} URL${urls.length === 1 ? '' : 's'}`);
  }
}
