import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerContext } from './context.js';
import { serveFile } from './files.js';
import { readJsonObject, renderError, sendJson } from './http.js';
import {
  FINISHED,
  FORMATS,
  pollAfterMs,
  pollBody,
  type RenderFormat,
  type RenderJob,
  type RenderStatus,
} from './render-job.js';
import { parseRenderRequest } from './render-request.js';
import { mediaResolver } from './resolve.js';
import { fileKey, type TokenRecord } from './store.js';

/** Owner of a registered render made without a session: any token may read it. */
const ANY_USER = '*';

/** Render ids are the client's own names, so they are scoped to the user: two users may both use `r1`. */
const jobKey = (userId: string, id: string): string => `${userId}\n${id}`;

/** 128 random bits, hex: the unguessable part of a render's CDN URL and of its file name. */
const newCapability = (): string => randomBytes(16).toString('hex');

/**
 * Render jobs (§4.8): submitted drafts rendered by the engine's `renderDraft`, at most
 * `renderConcurrency` at a time (the rest wait in order), each stopped after `renderTimeoutMs`;
 * polled in the v44 or v19 shape, served at `/renders/<capability>/<id>.<ext>` (no token: the
 * 128-bit capability is the key) and `/api/render/proxy/<id>/download` (the owner's token).
 * Ids are per user: another user's id answers exactly like an unknown one.
 */
export class RenderManager {
  private readonly jobs = new Map<string, RenderJob>();
  private readonly queue: RenderJob[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly ctx: ServerContext) {}

  /** `POST /api/render/proxy/lambda` */
  async submit(token: TokenRecord, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { ctx } = this;
    const { id, sessionId, draft, format, quality } = parseRenderRequest(
      req,
      await readJsonObject(req, ctx.opts.maxJsonBytes),
    );
    const key = jobKey(token.userId, id);
    if (this.jobs.has(key)) throw renderError(409, 'duplicate id');
    const slow = ctx.faults.take('slow-render');
    const capability = newCapability();
    const urlPath = `/renders/${capability}/${id}.${format}`;
    const job: RenderJob = {
      id,
      userId: token.userId,
      sessionId,
      draft,
      format,
      quality,
      status: 'pending',
      fraction: 0,
      createdAt: Date.now(),
      minMs: Math.max(ctx.opts.renderMinMs, slow?.ms ?? 0),
      failByFault: ctx.faults.take('render-fail') !== undefined,
      outPath: join(ctx.dataDir, 'renders', `${capability}.${format}`),
      urlPath,
      outputUrl: ctx.baseUrl(req) + urlPath,
      abort: new AbortController(),
    };
    this.jobs.set(key, job);
    ctx.store.stats.renders.push(id);
    this.queue.push(job);
    sendJson(res, 200, { success: true, data: { id, status: 'pending', progress: 0 } });
    this.pump();
  }

  /** See `RunningServer.registerRender` (callers check where `filePath` may be). */
  async register(filePath: string, sessionId?: string): Promise<{ id: string; url: string }> {
    const st = await stat(filePath).catch(() => undefined);
    if (!st?.isFile()) throw new Error(`not a file: ${filePath}`);
    const ext = extname(filePath).slice(1).toLowerCase();
    const format = (FORMATS as readonly string[]).includes(ext) ? (ext as RenderFormat) : 'mp4';
    const id = `render_${newCapability()}`;
    const urlPath = `/renders/${newCapability()}/${id}.${format}`;
    const now = Date.now();
    const userId = (sessionId && this.ctx.store.sessions.get(sessionId)?.userId) || ANY_USER;
    const job: RenderJob = {
      id,
      userId,
      sessionId: sessionId ?? '',
      draft: { t: [] },
      format,
      quality: 'high',
      status: 'completed',
      fraction: 1,
      createdAt: now,
      startedAt: now,
      completedAt: now,
      minMs: 0,
      failByFault: false,
      outPath: filePath,
      urlPath,
      outputUrl: this.ctx.baseUrl() + urlPath,
      bytes: st.size,
      abort: new AbortController(),
    };
    this.jobs.set(jobKey(userId, id), job);
    this.ctx.store.stats.renders.push(id);
    this.ctx.store.renderFiles.set(fileKey(urlPath), filePath);
    this.ctx.store.stats.lastRenderCompletedAt = now;
    return { id, url: job.outputUrl };
  }

  /** The caller's job (or a shared registered one); another user's id is as unknown as any other. */
  private job(token: TokenRecord, id: string): RenderJob {
    const job = this.jobs.get(jobKey(token.userId, id)) ?? this.jobs.get(jobKey(ANY_USER, id));
    if (!job) throw renderError(404, 'render not found');
    return job;
  }

  /** Jobs per status (for the admin stats: counts, no ids). */
  counts(): Record<RenderStatus | 'total', number> {
    const out = { total: 0, pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const job of this.jobs.values()) {
      out.total++;
      out[job.status]++;
    }
    return out;
  }

  /** `GET /api/render/proxy/lambda/<id>` in the configured shape, with an `X-Poll-After-Ms` hint while it runs. */
  poll(token: TokenRecord, id: string, res: ServerResponse): void {
    const job = this.job(token, id);
    const now = Date.now();
    const after = pollAfterMs(job, now);
    sendJson(
      res,
      200,
      pollBody(job, this.ctx.opts.renderShape, now),
      after === undefined ? {} : { 'X-Poll-After-Ms': String(after) },
    );
  }

  /**
   * `POST /api/render/proxy/lambda/<id>/cancel`: a waiting job leaves the queue; a running one has its
   * ffmpeg killed (the engine's abort: SIGTERM, then SIGKILL) and frees its slot once ffmpeg is gone.
   * A finished job keeps its status.
   */
  cancel(token: TokenRecord, id: string, res: ServerResponse): void {
    const job = this.job(token, id);
    if (!FINISHED.includes(job.status)) {
      job.status = 'cancelled';
      job.abort.abort();
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
    }
    sendJson(res, 200, { success: true, data: { id, status: job.status } });
  }

  /** `GET /api/render/proxy/<id>/download`: the file once completed, else 409. */
  async download(token: TokenRecord, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const job = this.job(token, id);
    if (job.status !== 'completed') throw renderError(409, `render ${id} is ${job.status}, not completed`);
    await this.serve(job.outPath, req, res, `${job.id}.${job.format}`);
  }

  /** Serves a finished render; the `download-cut` fault applies here. */
  async serve(path: string, req: IncomingMessage, res: ServerResponse, downloadName?: string): Promise<void> {
    const cut = req.method !== 'HEAD' && this.ctx.faults.take('download-cut') !== undefined;
    if (cut) this.ctx.log(`fault download-cut: sending half of ${path}`);
    await serveFile(req, res, path, { cut, downloadName });
  }

  /** Stops every job (renders killed, partial files removed by the engine) and waits for the running ones. */
  async close(): Promise<void> {
    this.queue.length = 0;
    for (const job of this.jobs.values()) job.abort.abort();
    await Promise.all([...this.running]);
  }

  /** Starts waiting jobs while fewer than `renderConcurrency` run. */
  private pump(): void {
    while (this.running.size < this.ctx.opts.renderConcurrency && !this.ctx.shutdown.aborted) {
      const job = this.queue.shift();
      if (!job) return;
      const run: Promise<void> = this.run(job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(job: RenderJob): Promise<void> {
    const { ctx } = this;
    job.status = 'processing';
    job.startedAt = Date.now();
    const signal = job.abort.signal;
    const limitMs = ctx.opts.renderTimeoutMs;
    const timer =
      limitMs > 0
        ? setTimeout(() => {
            job.timedOut = true;
            job.abort.abort();
          }, limitMs)
        : undefined;
    try {
      if (job.failByFault) {
        await sleep(Math.min(job.minMs, 200), undefined, { signal });
        throw new Error('Render failed: the render worker crashed (injected render-fail fault)');
      }
      await mkdir(join(ctx.dataDir, 'renders'), { recursive: true });
      const session = ctx.store.sessionOf(job.userId, job.sessionId);
      const result = await ctx.engine.renderDraft(job.draft, job.outPath, {
        resolveSrc: mediaResolver(ctx, session),
        onProgress: (p) => {
          job.fraction = p.fraction;
        },
        signal,
        format: job.format,
        quality: job.quality,
      });
      job.fraction = 1;
      const left = job.minMs - (Date.now() - job.startedAt);
      if (left > 0) await sleep(left, undefined, { signal });
      job.bytes = result.bytes;
      job.durationMs = result.durationMs;
      ctx.store.renderFiles.set(fileKey(job.urlPath), job.outPath);
      job.completedAt = Date.now();
      job.status = 'completed';
      ctx.store.stats.lastRenderCompletedAt = job.completedAt;
      ctx.log(`render ${job.id} completed (${result.bytes} bytes)`);
    } catch (err) {
      if (job.timedOut && job.status === 'processing' && !ctx.shutdown.aborted) {
        job.status = 'failed';
        job.error = `Render failed: it ran past the time limit of ${seconds(limitMs)} and was stopped`;
      } else if (signal.aborted) {
        job.status = 'cancelled';
        return;
      } else {
        job.status = 'failed';
        job.error = err instanceof Error ? err.message.split('\n').slice(0, 4).join('\n') : String(err);
      }
      job.completedAt = Date.now();
      ctx.log(`render ${job.id} failed: ${job.error}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** 1500 → "1.5 s", 1800000 → "1800 s". */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
