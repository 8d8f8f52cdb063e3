import { asObject, pickNumber, pickString } from './fields.js';

/** Normalising every render poll shape (protocol §4.8, §11, §12.3). */

export type RenderState = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface RenderStatus {
  id: string;
  status: RenderState;
  /** 0–100. */
  progress: number;
  url?: string;
  error?: string;
  raw: unknown;
}

const DONE = new Set(['completed', 'complete', 'done', 'success', 'succeeded', 'finished']);
const FAILED = new Set(['failed', 'failure', 'error', 'errored']);
const CANCELLED = new Set(['cancelled', 'canceled', 'aborted']);
const PENDING = new Set(['pending', 'queued', 'submitted', 'waiting', 'created']);

/** `body` is the whole decoded body; the `data` object of `{success,data}`/`{code,data}` is looked into. */
export function normalizeRenderStatus(id: string, body: unknown): RenderStatus {
  const top = asObject(body) ?? {};
  const data = asObject(top.data) ?? {};
  const layers = [data, top];
  const rawStatus = first(layers, (o) => pickString(o, 'status', 'state'))?.toLowerCase();
  const fatal = layers.some((o) => o.fatalErrorEncountered === true);
  const doneFlag = layers.some((o) => o.done === true);
  let progress = first(layers, (o) => pickNumber(o, 'progress', 'overallProgress', 'percent')) ?? 0;
  if (progress > 0 && progress <= 1 && !Number.isInteger(progress)) progress *= 100;
  progress = Math.max(0, Math.min(100, progress));

  let status: RenderState;
  if (fatal || (rawStatus && FAILED.has(rawStatus))) status = 'failed';
  else if (rawStatus && CANCELLED.has(rawStatus)) status = 'cancelled';
  else if (doneFlag || (rawStatus && DONE.has(rawStatus))) status = 'completed';
  else if (rawStatus && PENDING.has(rawStatus) && progress === 0) status = 'pending';
  else if (rawStatus || progress > 0) status = 'processing';
  else status = 'pending';
  if (status === 'completed') progress = 100;

  const url =
    first(layers, (o) => pickString(o, 'outputUrl', 'output_url') ?? pickString(o.output, 'url')) ??
    first(layers, (o) => pickString(o, 'outputFile', 'url', 'download_url', 'downloadUrl'));
  const error = status === 'failed' ? errorText(layers) : undefined;
  const renderId =
    first(layers, (o) => pickString(o, 'id', 'render_id', 'renderId', 'taskId', 'task_id')) ?? id;
  const result: RenderStatus = { id: renderId, status, progress, raw: body };
  if (url) result.url = url;
  if (error) result.error = error;
  return result;
}

function first<T>(
  layers: Record<string, unknown>[],
  get: (o: Record<string, unknown>) => T | undefined,
): T | undefined {
  for (const layer of layers) {
    const v = get(layer);
    if (v !== undefined) return v;
  }
  return undefined;
}

function errorText(layers: Record<string, unknown>[]): string | undefined {
  return first(layers, (o) => {
    const e = o.error ?? o.errorMessage ?? o.message;
    if (typeof e === 'string' && e) return e;
    const nested = pickString(e, 'message', 'msg');
    if (nested) return nested;
    if (Array.isArray(o.errors) && o.errors.length > 0) {
      return (
        pickString(o.errors[0], 'message') ?? (typeof o.errors[0] === 'string' ? o.errors[0] : undefined)
      );
    }
    return undefined;
  });
}
