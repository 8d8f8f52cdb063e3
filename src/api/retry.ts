import { AbortError } from './errors.js';

/**
 * The Stainless retry policy (client-cli-anchors §1.3): retry connection errors, 408, 409, 429 and ≥ 500;
 * `x-should-retry` wins; honour `retry-after-ms` / `Retry-After` up to 60 s, else 0.5 s·2ⁿ capped at 8 s
 * with up to 25 % jitter subtracted.
 */

export const DEFAULT_MAX_RETRIES = 2;
const MAX_HINT_MS = 60_000;
const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
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

/** Delay before retry number `retriesDone + 1`. */
export function retryDelayMs(
  retriesDone: number,
  hintMs?: number,
  random: () => number = Math.random,
): number {
  if (hintMs !== undefined && hintMs >= 0 && hintMs <= MAX_HINT_MS) return hintMs;
  const base = Math.min(INITIAL_DELAY_MS * 2 ** retriesDone, MAX_DELAY_MS);
  return base * (1 - random() * 0.25);
}

/** Sleep that rejects with AbortError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('Request was aborted.'));
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
