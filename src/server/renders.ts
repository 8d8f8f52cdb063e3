import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RenderOptions } from '../engine/types.js';
import { type Draft, parseDraft } from '../timeline/index.js';
import type { ServerContext } from './context.js';
import { serveFile } from './files.js';
import { readJsonObject, renderError, sendJson } from './http.js';
import { mediaResolver } from './resolve.js';
import { fileKey, type TokenRecord } from './store.js';

type Status = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
type Format = NonNullable<RenderOptions['format']>;
type Quality = NonNullable<RenderOptions['quality']>;

interface RenderJob {
  id: string;
  userId: string;
  sessionId: string;
  draft: Draft;
  format: Format;
  quality: Quality;
  status: Status;
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
  urlPath: string;
  outputUrl: string;
  bytes?: number;
  durationMs?: number;
  abort: AbortController;
}

/** Owner of a registered render made without a session: any token may read it. */
const ANY_USER = '*';
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const FORMATS: readonly Format[] = ['mp4', 'webm', 'mov', 'gif'];
const QUALITIES: readonly Quality[] = ['low', 'medium', 'high'];
const FINISHED: readonly Status[] = ['completed', 'failed', 'cancelled'];

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
    const body = await readJsonObject(req, ctx.opts.maxJsonBytes);
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
    if (!draft.t.some((t) => t.sg.length > 0))
      throw renderError(400, 'draft has no segments: nothing to render');
    if ((draft.m?.fx?.grade as { lut?: unknown } | undefined)?.lut) {
      throw renderError(400, 'LUT grades cannot be rendered by nemo serve: it opens no file a client names');
    }
    const output = (body.output ?? {}) as { format?: unknown; quality?: unknown };
    const format = (output.format ?? draft.m?.fx?.format ?? 'mp4') as Format;
    const quality = (output.quality ?? 'high') as Quality;
    if (!FORMATS.includes(format))
      throw renderError(400, `output.format must be one of ${FORMATS.join(', ')}`);
    if (!QUALITIES.includes(quality))
      throw renderError(400, `output.quality must be one of ${QUALITIES.join(', ')}`);
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
    const format: Format = (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : 'mp4';
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

  private progress(job: RenderJob): number {
    if (job.status === 'completed') return 100;
    if (job.status !== 'processing' || job.startedAt === undefined) return Math.floor(100 * job.fraction);
    const byTime = job.minMs > 0 ? (Date.now() - job.startedAt) / job.minMs : 1;
    return Math.min(99, Math.floor(100 * Math.min(job.fraction, byTime)));
  }

  /**
   * When the next poll is worth making (ms): the expected time left, from the engine's progress rate
   * (once past 5 %) and the minimum render time, between 50 ms and 1 s. Sent as `X-Poll-After-Ms` while
   * the job runs.
   */
  private pollAfterMs(job: RenderJob): number | undefined {
    if (FINISHED.includes(job.status)) return undefined;
    if (job.startedAt === undefined) return 250;
    const elapsed = Date.now() - job.startedAt;
    const byEngine = job.fraction >= 0.05 ? (elapsed * (1 - job.fraction)) / job.fraction : 500;
    return Math.round(Math.min(1000, Math.max(50, byEngine, job.minMs - elapsed)));
  }

  /** `GET /api/render/proxy/lambda/<id>` in the configured shape. */
  poll(token: TokenRecord, id: string, res: ServerResponse): void {
    const job = this.job(token, id);
    const after = this.pollAfterMs(job);
    const headers: Record<string, string> = after === undefined ? {} : { 'X-Poll-After-Ms': String(after) };
    const done = job.status === 'completed';
    const common = { id: job.id, status: job.status, progress: this.progress(job) };
    if (this.ctx.opts.renderShape === 'v19') {
      sendJson(
        res,
        200,
        {
          ...common,
          output: done
            ? { url: job.outputUrl, duration: (job.durationMs ?? 0) / 1000, size: job.bytes }
            : undefined,
          createdAt: job.createdAt,
          completedAt: job.completedAt,
          error: job.error,
        },
        headers,
      );
      return;
    }
    sendJson(
      res,
      200,
      {
        success: true,
        data: {
          ...common,
          outputUrl: done ? job.outputUrl : undefined,
          createdAt: job.createdAt,
          completedAt: job.completedAt,
          error: job.error,
        },
      },
      headers,
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
