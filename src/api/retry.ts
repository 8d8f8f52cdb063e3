import { AbortError, ConnectionError, TimeoutError } from './errors.js';

/**
 * The one retry and poll policy of the client, and the loops that apply it. Call sites say only what
 * is theirs: what counts as retryable, how many times, the deadline.
 *
 * - Delays: exponential backoff (`backoffMs`), capped, with jitter subtracted. Retries use the Stainless
 *   schedule (client-cli-anchors §1.3): 0.5 s·2ⁿ capped at 8 s, up to 25 % jitter subtracted.
 * - Server hints (`retry-after-ms`, `Retry-After`, a poll's `x-poll-after-ms`) are honoured up to 60 s: a
 *   retry waits a longer hint out by its backoff instead (`retryDelayMs`), a poll waits 60 s (`pollDelayMs`).
 * - What is retried over HTTP: connection errors, 408, 409, 429 and ≥ 500; `x-should-retry` wins.
 * - Waits are abortable (`sleep`); `retrying` retries one call, `Retries` counts retries in a loop of its
 *   own, `poll` checks until done, a deadline or a number of checks.
 */

export const DEFAULT_MAX_RETRIES = 2;
/** The longest server wait hint followed. */
export const MAX_HINT_MS = 60_000;

/** `initialMs·factorⁿ`, capped at `maxMs`, less up to `jitter` (a fraction) of it at random. */
export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  jitter: number;
}

/** The Stainless schedule for retries. */
export const RETRY_BACKOFF: Backoff = { initialMs: 500, factor: 2, maxMs: 8_000, jitter: 0.25 };

/** The delay of step `n` (0-based) of `backoff`. */
export function backoffMs(
  n: number,
  backoff: Backoff = RETRY_BACKOFF,
  random: () => number = Math.random,
): number {
  const base = Math.min(backoff.initialMs * backoff.factor ** n, backoff.maxMs);
  return backoff.jitter > 0 ? base * (1 - random() * backoff.jitter) : base;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** No answer came: the connection failed or a time limit ran out (retried wherever a retry is allowed). */
export function isNetworkFailure(err: unknown): err is ConnectionError | TimeoutError {
  return err instanceof ConnectionError || err instanceof TimeoutError;
}

export function shouldRetryStatus(status: number, headers: HeaderBag): boolean {
  const forced = header(headers, 'x-should-retry');
  if (forced === 'true') return true;
  if (forced === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The server's wait hint in ms (any size), or undefined. */
export function retryAfterMs(headers: HeaderBag, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = header(headers, 'retry-after');
  if (after === undefined || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Delay before retry number `retriesDone + 1`: the hint when it is 0–60 s, else the retry backoff. */
export function retryDelayMs(
  retriesDone: number,
  hintMs?: number,
  random: () => number = Math.random,
): number {
  if (hintMs !== undefined && hintMs >= 0 && hintMs <= MAX_HINT_MS) return hintMs;
  return backoffMs(retriesDone, RETRY_BACKOFF, random);
}

/** Delay before the next poll: the server's hint (at most 60 s) when it gave one, else `ownMs`. */
export function pollDelayMs(ownMs: number, hintMs?: number): number {
  return hintMs === undefined ? ownMs : Math.min(hintMs, MAX_HINT_MS);
}

/** Sleep that rejects with AbortError when `signal` aborts; 0 ms (or less) sets no timer. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('Request was aborted.'));
      return;
    }
    if (!(ms > 0)) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError('Request was aborted.'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * What an attempt throws when its failure may be tried again although `retryable` would not say so
 * from the error alone (an HTTP answer's status and headers decide): `error` is what is thrown once
 * no retry is left, `hintMs` the server's wait hint.
 */
export class Retryable {
  constructor(
    readonly error: unknown,
    readonly hintMs?: number,
  ) {}
}

export interface RetryOptions {
  /** How many times a failed attempt is tried again (0: one attempt only). */
  retries: number;
  /** Whether an error is worth another attempt (a `Retryable` always is). Default: none is. */
  retryable?: (err: unknown) => boolean;
  /** The wait before retry number `retriesDone + 1`, given the server's hint. Default `retryDelayMs`. */
  delay?: (retriesDone: number, hintMs?: number) => number;
  /** Aborts a wait between attempts (AbortError). */
  signal?: AbortSignal;
}

/** The retry count of one loop: decides whether a failure is retried and how long to wait first. */
export class Retries {
  /** Retries granted so far. */
  done = 0;

  constructor(private readonly options: RetryOptions) {}

  /**
   * After a failed attempt: the wait before the next one, counting the retry. Throws the error (a
   * `Retryable`'s own) when it is not retryable or no retry is left.
   */
  delayAfter(err: unknown, hintMs?: number): number {
    const wrapped = err instanceof Retryable;
    const error = wrapped ? err.error : err;
    if (!(wrapped || this.options.retryable?.(err)) || this.done >= this.options.retries) throw error;
    const ms = (this.options.delay ?? retryDelayMs)(this.done, wrapped ? err.hintMs : hintMs);
    this.done += 1;
    return ms;
  }

  /** `delayAfter`, then the wait (abortable by `signal`, else the options' signal). */
  async after(
    err: unknown,
    hintMs?: number,
    signal: AbortSignal | undefined = this.options.signal,
  ): Promise<void> {
    await sleep(this.delayAfter(err, hintMs), signal);
  }

  /** A success: the failures so far no longer count (for a limit on failures in a row). */
  reset(): void {
    this.done = 0;
  }
}

/** Runs `attempt(retriesDone)` until it returns, retrying its failures as `options` allow. */
export async function retrying<T>(
  attempt: (retriesDone: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const retries = new Retries(options);
  for (;;) {
    try {
      return await attempt(retries.done);
    } catch (err) {
      await retries.after(err);
    }
  }
}

/** What one check of a poll found: the result, or how long to wait before the next check. */
export type PollStep<T> = { done: T } | { againMs: number };

export interface PollOptions {
  /** The wait before the first check (default 0: at once, without a timer). */
  firstDelayMs?: number;
  /** Give up this long after the start: checked before each wait, and no wait goes past it. */
  timeoutMs?: number;
  /** Give up after this many checks. */
  checks?: number;
  /** The error thrown on giving up. */
  giveUp: () => unknown;
  /** Aborts a wait (AbortError). */
  signal?: AbortSignal;
  /** The clock (default Date.now). */
  now?: () => number;
}

/** Runs `check(n)` (n from 0) until it is done, waiting between checks as each one says. */
export async function poll<T>(check: (n: number) => Promise<PollStep<T>>, options: PollOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + options.timeoutMs;
  let delay = options.firstDelayMs ?? 0;
  for (let n = 0; n < (options.checks ?? Number.POSITIVE_INFINITY); n++) {
    const left = deadline - now();
    if (left <= 0) break;
    if (delay > 0) await sleep(Math.min(delay, left), options.signal);
    const step = await check(n);
    if ('done' in step) return step.done;
    delay = step.againMs;
  }
  throw options.giveUp();
}
