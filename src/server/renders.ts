import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerContext } from './context.js';
import { serveFile } from './files.js';
import { readJsonObject, renderError, sendJson } from './http.js';
import { FINISHED, FORMATS, pollAfterMs, pollBody, type RenderFormat, type RenderJob } from './render-job.js';
import { parseRenderRequest } from './render-request.js';
import { mediaResolver } from './resolve.js';
import { fileKey, type TokenRecord } from './store.js';

/** Owner of a registered render made without a session: any token may read it. */
const ANY_USER = '*';

/**
 * Render jobs (§4.8): submitted drafts rendered one at a time by the engine's `renderDraft`, polled in
 * the v44 or v19 shape, served at `/renders/<id>.<ext>` and `/api/render/proxy/<id>/download`.
 */
export class RenderManager {
  private readonly jobs = new Map<string, RenderJob>();
  private readonly queue: RenderJob[] = [];
  private running?: Promise<void>;

  constructor(private readonly ctx: ServerContext) {}

  /** `POST /api/render/proxy/lambda` */
  async submit(token: TokenRecord, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { ctx } = this;
    const { id, sessionId, draft, format, quality } = parseRenderRequest(
      req,
      await readJsonObject(req, ctx.opts.maxJsonBytes),
    );
    if (this.jobs.has(id)) throw renderError(409, 'duplicate id');
    const slow = ctx.faults.take('slow-render');
    const urlPath = `/renders/${id}.${format}`;
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
      outPath: join(ctx.dataDir, 'renders', `${id}.${format}`),
      urlPath,
      outputUrl: ctx.baseUrl(req) + urlPath,
      abort: new AbortController(),
    };
    this.jobs.set(id, job);
    ctx.store.stats.renders.push(id);
    this.queue.push(job);
    sendJson(res, 200, { success: true, data: { id, status: 'pending', progress: 0 } });
    this.pump();
  }

  /** See `RunningServer.registerRender`. */
  async register(filePath: string, sessionId?: string): Promise<{ id: string; url: string }> {
    const st = await stat(filePath).catch(() => undefined);
    if (!st?.isFile()) throw new Error(`not a file: ${filePath}`);
    const ext = extname(filePath).slice(1).toLowerCase();
    const format = (FORMATS as readonly string[]).includes(ext) ? (ext as RenderFormat) : 'mp4';
    const id = `render_${randomUUID()}`;
    const urlPath = `/renders/${id}.${format}`;
    const now = Date.now();
    const job: RenderJob = {
      id,
      userId: (sessionId && this.ctx.store.sessions.get(sessionId)?.userId) || ANY_USER,
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
    this.jobs.set(id, job);
    this.ctx.store.stats.renders.push(id);
    this.ctx.store.renderFiles.set(fileKey(urlPath), filePath);
    this.ctx.store.stats.lastRenderCompletedAt = now;
    return { id, url: job.outputUrl };
  }

  private job(token: TokenRecord, id: string): RenderJob {
    const job = this.jobs.get(id);
    if (!job || (job.userId !== ANY_USER && job.userId !== token.userId))
      throw renderError(404, 'render not found');
    return job;
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

  /** `POST /api/render/proxy/lambda/<id>/cancel`: stops the engine job; a finished job keeps its status. */
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

  /** Stops every job (renders killed, partial files removed by the engine) and waits for the running one. */
  async close(): Promise<void> {
    this.queue.length = 0;
    for (const job of this.jobs.values()) job.abort.abort();
    await this.running;
  }

  private pump(): void {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = this.run(job).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async run(job: RenderJob): Promise<void> {
    const { ctx } = this;
    job.status = 'processing';
    job.startedAt = Date.now();
    const signal = job.abort.signal;
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
      if (signal.aborted) {
        job.status = 'cancelled';
        return;
      }
      job.status = 'failed';
      job.error = err instanceof Error ? err.message.split('\n').slice(0, 4).join('\n') : String(err);
      job.completedAt = Date.now();
      ctx.log(`render ${job.id} failed: ${job.error}`);
    }
  }
}
