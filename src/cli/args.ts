import { checkQuality, type Quality } from '../config/index.js';
import { UsageError } from './cli-error.js';

/** A positive number of seconds → ms (`--timeout`). */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(
      `--timeout must be a positive number of seconds, not ${JSON.stringify(value)}`,
      'e.g. --timeout 600',
    );
  return Math.round(s * 1000);
}

export function parseJobs(value: string | undefined): number {
  const n = Number(value ?? '1');
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new UsageError(
      `--jobs must be a whole number from 1 to 16, not ${JSON.stringify(value)}`,
      'e.g. --jobs 2',
    );
  return n;
}

/** `--quality` if given (validated), else the profile's default. */
export function pickQuality(flag: string | undefined, saved: Quality | undefined): Quality | undefined {
  return flag === undefined ? saved : checkQuality(flag);
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
