import { QUALITIES as MEDIA_QUALITIES, OUTPUT_FORMATS } from '../base/media.js';
import type { RenderOptions } from '../engine/types.js';
import type { Draft } from '../timeline/index.js';
import type { ResolvedOptions } from './options.js';

export type RenderStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
export type RenderFormat = NonNullable<RenderOptions['format']>;
export type RenderQuality = NonNullable<RenderOptions['quality']>;

/** The one vocabulary (src/base/media.ts), under the names the server's modules use. */
export const FORMATS: readonly RenderFormat[] = OUTPUT_FORMATS;
export const QUALITIES: readonly RenderQuality[] = MEDIA_QUALITIES;
export const FINISHED: readonly RenderStatus[] = ['completed', 'failed', 'cancelled'];

/** One render job, from submit to its end. */
export interface RenderJob {
  id: string;
  userId: string;
  sessionId: string;
  draft: Draft;
  format: RenderFormat;
  quality: RenderQuality;
  status: RenderStatus;
  /** 0..1 from the engine. */
  fraction: number;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  error?: string;
  /** The render takes at least this long (renderMinMs, slow-render). */
  minMs: number;
  failByFault: boolean;
  outPath: string;
  /** `/renders/<128-bit capability>/<id>.<ext>`: unguessable, so the CDN URL needs no token. */
  urlPath: string;
  outputUrl: string;
  bytes?: number;
  durationMs?: number;
  abort: AbortController;
  /** Set when the render ran past `renderTimeoutMs` (its abort then means "failed", not "cancelled"). */
  timedOut?: boolean;
}

/** 0–100: the engine's progress, held back by the minimum render time; 100 only once completed. */
export function renderProgress(job: RenderJob, now: number): number {
  if (job.status === 'completed') return 100;
  if (job.status !== 'processing' || job.startedAt === undefined) return Math.floor(100 * job.fraction);
  const byTime = job.minMs > 0 ? (now - job.startedAt) / job.minMs : 1;
  return Math.min(99, Math.floor(100 * Math.min(job.fraction, byTime)));
}

/**
 * When the next poll is worth making (ms): the expected time left, from the engine's progress rate
 * (once past 5 %) and the minimum render time, between 50 ms and 1 s; undefined once the job ended.
 */
export function pollAfterMs(job: RenderJob, now: number): number | undefined {
  if (FINISHED.includes(job.status)) return undefined;
  if (job.startedAt === undefined) return 250;
  const elapsed = now - job.startedAt;
  const byEngine = job.fraction >= 0.05 ? (elapsed * (1 - job.fraction)) / job.fraction : 500;
  return Math.round(Math.min(1000, Math.max(50, byEngine, job.minMs - elapsed)));
}

/** The poll body (§4.8): v44 `{success, data:{…, outputUrl}}` or v19 top-level `{…, output:{url}}`. */
export function pollBody(job: RenderJob, shape: ResolvedOptions['renderShape'], now: number): unknown {
  const done = job.status === 'completed';
  const common = { id: job.id, status: job.status, progress: renderProgress(job, now) };
  const times = { createdAt: job.createdAt, completedAt: job.completedAt, error: job.error };
  if (shape === 'v19') {
    const output = done
      ? { url: job.outputUrl, duration: (job.durationMs ?? 0) / 1000, size: job.bytes }
      : undefined;
    return { ...common, output, ...times };
  }
  return { success: true, data: { ...common, outputUrl: done ? job.outputUrl : undefined, ...times } };
}
