import { randomUUID } from 'node:crypto';
import { type DownloadOptions, type DownloadResult, download } from './download.js';
import { ApiError, RenderFailedError, ServerError, TimeoutError } from './errors.js';
import { pickString } from './fields.js';
import { normalizeRenderStatus, type RenderStatus } from './render-status.js';
import {
  type Backoff,
  backoffMs,
  type HeaderBag,
  header,
  isNetworkFailure,
  poll,
  pollDelayMs,
  Retries,
  retryAfterMs,
  retrying,
} from './retry.js';
import type { Transport } from './transport.js';

export interface RenderOutput {
  format?: string;
  quality?: string;
  resolution?: string;
  [key: string]: unknown;
}

export interface SubmitRenderInput {
  sessionId: string;
  /** The draft exactly as state returned it. */
  draft: unknown;
  output?: RenderOutput;
  /** Defaults to `render_<uuid>`. */
  id?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  onProgress?: (status: RenderStatus) => void;
  signal?: AbortSignal;
  /** Give up after this long (default 10 min) with TimeoutError. */
  timeoutMs?: number;
  /** Fixed poll interval; by default polls are scheduled from the observed progress rate. */
  pollIntervalMs?: number;
  /**
   * Delay before the first poll (default 0: a render being waited on by id, as in `export --resume` or
   * `render wait`, may be complete already; waiting first cost every resumed download 500 ms).
   */
  firstPollMs?: number;
}

export const DEFAULT_RENDER_OUTPUT: RenderOutput = { format: 'mp4', quality: 'high' };
const DEFAULT_WAIT_MS = 10 * 60_000;
const FIRST_POLL_MS = 500;
/** Between polls: 1 s·1.5ⁿ from n = 1, at most 10 s, no jitter (`nextPollDelay` may poll sooner). */
const POLL_BACKOFF: Backoff = { initialMs: 1000, factor: 1.5, maxMs: 10_000, jitter: 0 };
const NEAR_DONE_POLL_MS = 500;
const MAX_TRANSIENT_POLL_ERRORS = 5;

export const newRenderId = (): string => `render_${randomUUID()}`;

export class Render {
  constructor(private readonly transport: Transport) {}

  /** POST /api/render/proxy/lambda; on a failed submit, retries ONCE (at once) with a fresh id. */
  async submit(input: SubmitRenderInput): Promise<{ id: string }> {
    const firstId = input.id ?? newRenderId();
    return retrying((retries) => this.submitOnce(input, retries === 0 ? firstId : newRenderId()), {
      retries: 1,
      retryable: isResubmittable,
      delay: () => 0,
    });
  }

  /** GET /api/render/proxy/lambda/<id>, normalised. */
  async get(id: string, signal?: AbortSignal): Promise<RenderStatus> {
    return (await this.poll(id, signal)).status;
  }

  /** POST /api/render/proxy/lambda/<id>/cancel */
  async cancel(id: string, signal?: AbortSignal): Promise<RenderStatus> {
    const result = await this.transport.json({
      method: 'POST',
      path: `/api/render/proxy/lambda/${encodeURIComponent(id)}/cancel`,
      signal,
    });
    const status = normalizeRenderStatus(id, result.body);
    return status.status === 'pending' || status.status === 'processing'
      ? { ...status, status: 'cancelled' }
      : status;
  }

  /**
   * Poll until the render completes (returns the status with `url`) or fails (RenderFailedError).
   * Polls are scheduled from the observed progress rate so completion is noticed quickly.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<RenderStatus> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const samples: { t: number; p: number }[] = [];
    // without a fixed interval: grows at every poll answered with progress or failed
    let backoffs = 0;
    const backoff = (): number => backoffMs(++backoffs, POLL_BACKOFF);
    let completedWithoutUrl = 0;
    // a transient poll error is polled again, up to 5 in a row
    const errors = new Retries({
      retries: MAX_TRANSIENT_POLL_ERRORS,
      retryable: isTransient,
      delay: () => options.pollIntervalMs ?? backoff(),
    });
    return poll<RenderStatus>(
      async () => {
        let polled: { status: RenderStatus; hintMs?: number };
        try {
          polled = await this.poll(id, options.signal);
        } catch (err) {
          return { againMs: errors.delayAfter(err) };
        }
        errors.reset();
        const { status } = polled;
        options.onProgress?.(status);
        if (status.status === 'completed') {
          if (status.url) return { done: status };
          if (++completedWithoutUrl > 2)
            return { done: { ...status, url: this.transport.url(downloadPath(id)) } };
          return { againMs: NEAR_DONE_POLL_MS };
        }
        if (status.status === 'failed') throw new RenderFailedError(id, status.error);
        if (status.status === 'cancelled') {
          throw new RenderFailedError(id, 'the render was cancelled', { hint: 'Start the export again.' });
        }
        samples.push({ t: Date.now(), p: status.progress });
        const own = options.pollIntervalMs ?? nextPollDelay(samples, backoff());
        return { againMs: pollDelayMs(own, polled.hintMs) };
      },
      {
        timeoutMs,
        firstDelayMs: options.firstPollMs ?? 0,
        signal: options.signal,
        giveUp: () =>
          new TimeoutError(`Render ${id} did not finish within ${timeoutMs} ms`, {
            hint: `It may still finish: check it later with its id ${id}.`,
          }),
      },
    );
  }

  /** Download a render's output (URL, or a render id → the fallback download endpoint). */
  download(urlOrId: string, outPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return download(this.transport, urlOrId, outPath, options);
  }

  private async submitOnce(input: SubmitRenderInput, id: string): Promise<{ id: string }> {
    const result = await this.transport.json({
      method: 'POST',
      path: '/api/render/proxy/lambda',
      json: {
        id,
        sessionId: input.sessionId,
        draft: input.draft,
        output: input.output ?? DEFAULT_RENDER_OUTPUT,
      },
      retry: false,
      signal: input.signal,
    });
    const returned =
      pickString(result.data, 'id', 'render_id', 'renderId', 'taskId') ??
      pickString(result.body, 'id', 'render_id', 'renderId', 'taskId');
    return { id: returned ?? id };
  }

  private async poll(id: string, signal?: AbortSignal): Promise<{ status: RenderStatus; hintMs?: number }> {
    const result = await this.transport.json({
      method: 'GET',
      path: `/api/render/proxy/lambda/${encodeURIComponent(id)}`,
      signal,
    });
    return { status: normalizeRenderStatus(id, result.body), hintMs: pollHint(result.headers) };
  }
}

export function downloadPath(id: string): string {
  return `/api/render/proxy/${encodeURIComponent(id)}/download`;
}

/**
 * The next poll delay from the progress rate: poll just after the predicted completion, every
 * ≤ 500 ms once progress ≥ 90 %, and never later than `backoff` (≤ 10 s).
 */
export function nextPollDelay(samples: { t: number; p: number }[], backoff: number): number {
  const last = samples[samples.length - 1];
  if (!last) return backoff;
  let delay = backoff;
  const firstMoving = samples.find((s) => s.p > 0);
  if (firstMoving && last.t > firstMoving.t && last.p > firstMoving.p) {
    const rate = (last.p - firstMoving.p) / (last.t - firstMoving.t);
    const eta = (100 - last.p) / rate;
    delay = Math.min(delay, Math.max(200, eta + 100));
  }
  if (last.p >= 90) delay = Math.min(delay, NEAR_DONE_POLL_MS);
  return delay;
}

function pollHint(headers: HeaderBag): number | undefined {
  const explicit = Number(header(headers, 'x-poll-after-ms'));
  if (header(headers, 'x-poll-after-ms') !== undefined && Number.isFinite(explicit) && explicit >= 0)
    return explicit;
  return retryAfterMs(headers);
}

function isTransient(err: unknown): boolean {
  return err instanceof ServerError || isNetworkFailure(err);
}

function isResubmittable(err: unknown): boolean {
  if (isTransient(err)) return true;
  return err instanceof ApiError && err.constructor === ApiError;
}

export interface RenderWithRetryInput {
  sessionId: string;
  draft: unknown;
  output?: RenderOutput;
}

/** Submit, wait, and on a failed render resubmit ONCE with a new id. Returns the completed status. */
export async function renderWithRetry(
  client: { render: Render },
  input: RenderWithRetryInput,
  options: WaitOptions & { onSubmit?: (id: string, attempt: number) => void } = {},
): Promise<RenderStatus> {
  return retrying(
    async (retries) => {
      const { id } = await client.render.submit({ ...input, signal: options.signal });
      options.onSubmit?.(id, retries + 1);
      // Right after a submit the job is pending: the first poll waits a little.
      return client.render.wait(id, {
        ...options,
        firstPollMs: options.firstPollMs ?? Math.min(options.pollIntervalMs ?? FIRST_POLL_MS, 1000),
      });
    },
    { retries: 1, retryable: (err) => err instanceof RenderFailedError, delay: () => 0 },
  );
}
