import type { IncomingMessage } from 'node:http';
import { type Draft, isExportReady, parseDraft } from '../timeline/index.js';
import { renderError } from './http.js';
import { FORMATS, QUALITIES, type RenderFormat, type RenderQuality } from './render-job.js';

export interface RenderRequest {
  id: string;
  sessionId: string;
  draft: Draft;
  format: RenderFormat;
  quality: RenderQuality;
}

/** A client-chosen render id; it names the output file, so nothing else is allowed. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Validates a `POST /api/render/proxy/lambda` body (§4.8): attribution headers (402 without), `id`,
 * `sessionId`, a draft with segments, and `output` {format, quality} (default mp4/high).
 */
export function parseRenderRequest(req: IncomingMessage, body: Record<string, unknown>): RenderRequest {
  if (!req.headers['x-skill-source']) {
    throw renderError(
      402,
      'Export blocked: requests without attribution headers (X-Skill-Source) cannot export',
    );
  }
  const { id, sessionId } = body;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw renderError(400, 'id is required: 1-128 characters of A-Z a-z 0-9 _ . - (e.g. render_<uuid>)');
  }
  if (typeof sessionId !== 'string' || !sessionId) throw renderError(400, 'sessionId is required');
  const draft = parseDraft(body.draft);
  if (!draft) throw renderError(400, 'draft is required and needs a tracks array (draft.t)');
  if (!isExportReady(draft)) throw renderError(400, 'draft has no segments: nothing to render');
  if ((draft.m?.fx?.grade as { lut?: unknown } | undefined)?.lut) {
    throw renderError(400, 'LUT grades cannot be rendered by nemo serve: it opens no file a client names');
  }
  const output = (body.output ?? {}) as { format?: unknown; quality?: unknown };
  const format = (output.format ?? draft.m?.fx?.format ?? 'mp4') as RenderFormat;
  const quality = (output.quality ?? 'high') as RenderQuality;
  if (!FORMATS.includes(format)) throw renderError(400, `output.format must be one of ${FORMATS.join(', ')}`);
  if (!QUALITIES.includes(quality))
    throw renderError(400, `output.quality must be one of ${QUALITIES.join(', ')}`);
  return { id, sessionId, draft, format, quality };
}
