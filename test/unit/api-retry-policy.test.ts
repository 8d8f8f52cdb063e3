import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, ApiError, ConnectionError, ServerError, TimeoutError } from '../../src/api/errors.js';
import {
  backoffMs,
  isNetworkFailure,
  MAX_HINT_MS,
  poll,
  pollDelayMs,
  RETRY_BACKOFF,
  Retries,
  Retryable,
  retryDelayMs,
  retrying,
  sleep,
} from '../../src/api/retry.js';

/** setTimeout/clearTimeout faked for the test; real timers again afterwards. */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A function that counts its calls (`.calls`) and answers the n-th (from 1) with `answer(n)`. */
function counted<T>(answer: (call: number) => T): { calls: number; fn: () => Promise<T> } {
  const c = {
    calls: 0,
    fn: async () => answer(++c.calls),
  };
  return c;
}

/** Lets pending promise callbacks run (no timer moves). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('the delay policy', () => {
  it('retry backoff: 0.5 s·2ⁿ capped at 8 s, up to 25 % jitter subtracted (random injected)', () => {
    const none = () => 0;
    const most = () => 1;
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, RETRY_BACKOFF, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(backoffMs(0, RETRY_BACKOFF, most)).toBe(375);
    expect(backoffMs(3, RETRY_BACKOFF, () => 0.5)).toBe(3500);
    expect(backoffMs(9, RETRY_BACKOFF, most)).toBe(6000);
  });
  it('a schedule without jitter never draws a random number', () => {
    const random = vi.fn(() => 0.9);
    const poll = { initialMs: 1000, factor: 1.5, maxMs: 10_000, jitter: 0 };
    expect([1, 2, 3, 5, 6, 20].map((n) => backoffMs(n, poll, random))).toEqual([
      1500, 2250, 3375, 7593.75, 10_000, 10_000,
    ]);
    expect(random).not.toHaveBeenCalled();
  });
  it('a retry follows a server hint of 0–60 s; a longer (or negative) one gets the backoff', () => {
    const none = () => 0;
    expect(retryDelayMs(0, 0, none)).toBe(0);
    expect(retryDelayMs(2, 250, none)).toBe(250);
    expect(retryDelayMs(0, MAX_HINT_MS, none)).toBe(60_000);
    expect(retryDelayMs(0, MAX_HINT_MS + 1, none)).toBe(500);
    expect(retryDelayMs(1, -5, none)).toBe(1000);
    expect(retryDelayMs(1, undefined, () => 1)).toBe(750);
  });
  it('a poll follows a server hint up to 60 s, a longer one is cut to 60 s', () => {
    expect(pollDelayMs(4000)).toBe(4000);
    expect(pollDelayMs(4000, 20)).toBe(20);
    expect(pollDelayMs(4000, 0)).toBe(0);
    expect(pollDelayMs(4000, 120_000)).toBe(60_000);
  });
  it('network failures are connection errors and timeouts only', () => {
    expect(isNetworkFailure(new ConnectionError('x'))).toBe(true);
    expect(isNetworkFailure(new TimeoutError('x'))).toBe(true);
    expect(isNetworkFailure(new ServerError('x', { status: 503 }))).toBe(false);
    expect(isNetworkFailure(new AbortError('x'))).toBe(false);
  });
});

describe('sleep', () => {
  it('waits the time given, and 0 ms sets no timer at all', async () => {
    fakeTimers();
    let done = false;
    const slept = sleep(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
    // with the clock frozen, a timer would never fire
    await sleep(0);
    await sleep(-1);
    expect(vi.getTimerCount()).toBe(0);
  });
  it('an abort during the wait rejects at once with AbortError and clears the timer', async () => {
    fakeTimers();
    const ctl = new AbortController();
    const slept = sleep(60_000, ctl.signal);
    expect(vi.getTimerCount()).toBe(1);
    ctl.abort();
    await expect(slept).rejects.toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
  });
  it('an aborted signal rejects before waiting, even for 0 ms', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(sleep(0, ctl.signal)).rejects.toBeInstanceOf(AbortError);
    await expect(sleep(10, ctl.signal)).rejects.toBeInstanceOf(AbortError);
  });
});

describe('retrying', () => {
  const transient = () => new ConnectionError('reset');

  it('tries `retries` more times, passing the retries done, then throws the last error', async () => {
    const seen: number[] = [];
    const errors: Error[] = [];
    const err = await retrying(
      async (n) => {
        seen.push(n);
        const e = transient();
        errors.push(e);
        throw e;
      },
      { retries: 3, retryable: isNetworkFailure, delay: () => 0 },
    ).catch((e) => e);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(err).toBe(errors[3]);
  });
  it('returns the first success; an error it may not retry is thrown at once', async () => {
    const options = { retries: 5, retryable: isNetworkFailure, delay: () => 0 };
    const third = counted((n) => {
      if (n < 3) throw transient();
      return 'ok';
    });
    expect(await retrying(third.fn, options)).toBe('ok');
    expect(third.calls).toBe(3);
    const fatal = new ApiError('bad', { status: 400 });
    const refused = counted(() => {
      throw fatal;
    });
    expect(await retrying(refused.fn, options).catch((e) => e)).toBe(fatal);
    expect(refused.calls).toBe(1);
    // no `retryable`: nothing is retried but a Retryable
    const unjudged = counted(() => {
      throw transient();
    });
    await retrying(unjudged.fn, { retries: 5 }).catch(() => undefined);
    expect(unjudged.calls).toBe(1);
  });
  it('a Retryable is retried with its hint, and unwrapped when no retry is left', async () => {
    const delays: [number, number | undefined][] = [];
    const inner = new ServerError('busy', { status: 503 });
    const busy = counted((n) => {
      throw new Retryable(inner, n * 10);
    });
    const err = await retrying(busy.fn, {
      retries: 2,
      delay: (n, hint) => {
        delays.push([n, hint]);
        return 0;
      },
    }).catch((e) => e);
    expect(err).toBe(inner);
    expect(busy.calls).toBe(3);
    expect(delays).toEqual([
      [0, 10],
      [1, 20],
    ]);
  });
  it('waits the Stainless delays by default: 500 ms, then 1000 ms (jitter 0), a 60 s hint as given', async () => {
    fakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const a = counted((n) => {
      if (n <= 2) throw transient();
      if (n === 3) throw new Retryable(new ServerError('busy', { status: 503 }), 60_000);
      return n;
    });
    const result = retrying(a.fn, { retries: 3, retryable: isNetworkFailure });
    await settle();
    // each wait: nothing 1 ms before its end, the next attempt at its end
    for (const [wait, calls] of [
      [500, 1],
      [1000, 2],
      [60_000, 3],
    ]) {
      expect(a.calls).toBe(calls);
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(a.calls).toBe(calls);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(await result).toBe(4);
  });
  it('an abort during the wait ends it with AbortError; no further attempt is made', async () => {
    fakeTimers();
    const ctl = new AbortController();
    const a = counted(() => {
      throw transient();
    });
    const result = retrying(a.fn, {
      retries: 5,
      retryable: isNetworkFailure,
      delay: () => 10_000,
      signal: ctl.signal,
    }).catch((e) => e);
    await settle();
    ctl.abort();
    expect(await result).toBeInstanceOf(AbortError);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(a.calls).toBe(1);
  });
});

describe('Retries (a count kept by a loop of its own)', () => {
  it('delayAfter counts, throws when the limit is reached, and reset() starts the count again', () => {
    const r = new Retries({ retries: 2, retryable: isNetworkFailure, delay: (n) => 100 * (n + 1) });
    expect(r.delayAfter(new TimeoutError('slow'))).toBe(100);
    expect(r.delayAfter(new TimeoutError('slow'))).toBe(200);
    const third = new TimeoutError('slow');
    expect(() => r.delayAfter(third)).toThrow(third);
    r.reset();
    expect(r.delayAfter(new TimeoutError('slow'))).toBe(100);
    const fatal = new ApiError('no', { status: 404 });
    expect(() => r.delayAfter(fatal)).toThrow(fatal);
    // the hint reaches the delay
    const hinted = new Retries({ retries: 1, retryable: () => true });
    expect(hinted.delayAfter(new Error('x'), 1234)).toBe(1234);
  });
});

describe('poll', () => {
  it('checks at once by default (no timer), then waits as each check says', async () => {
    fakeTimers();
    const at: number[] = [];
    const start = Date.now();
    const result = poll(
      async (n) => {
        at.push(Date.now() - start);
        return n < 2 ? { againMs: 100 * (n + 1) } : { done: `after ${n + 1}` };
      },
      { giveUp: () => new Error('gave up') },
    );
    await settle();
    expect(at).toEqual([0]);
    await vi.advanceTimersByTimeAsync(300);
    expect(await result).toBe('after 3');
    expect(at).toEqual([0, 100, 300]);
  });
  it('after `checks` checks it gives up without a last wait', async () => {
    fakeTimers();
    const check = counted(() => ({ againMs: 1000 }));
    const err = new Error('gave up');
    const result = poll(check.fn, { checks: 3, firstDelayMs: 500, giveUp: () => err }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(499);
    expect(check.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(2501);
    expect(await result).toBe(err);
    expect(check.calls).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });
  it('a deadline (injected clock) cuts the last wait short and gives up when it has passed', async () => {
    let clock = 0;
    const waits: number[] = [];
    fakeTimers();
    const result = poll(
      async () => {
        waits.push(clock);
        return { againMs: 400 };
      },
      { timeoutMs: 1000, now: () => clock, giveUp: () => new TimeoutError('too long') },
    ).catch((e) => e);
    // the clock moves only when this test says so; each wait is min(400, time left), and the check
    // after the last (cut) wait still runs: the deadline is looked at before each wait
    for (const step of [400, 400, 200]) {
      await settle();
      expect(vi.getTimerCount()).toBe(1);
      clock += step;
      await vi.advanceTimersByTimeAsync(step);
    }
    expect(await result).toBeInstanceOf(TimeoutError);
    expect(waits).toEqual([0, 400, 800, 1000]);
    expect(vi.getTimerCount()).toBe(0);
  });
  it('an abort during a wait rejects with AbortError; an error thrown by a check ends the poll', async () => {
    fakeTimers();
    const ctl = new AbortController();
    const check = counted(() => ({ againMs: 5000 }));
    const aborted = poll(check.fn, { signal: ctl.signal, giveUp: () => new Error('no') }).catch((e) => e);
    await settle();
    ctl.abort();
    expect(await aborted).toBeInstanceOf(AbortError);
    expect(check.calls).toBe(1);
    const failed = new ApiError('gone', { status: 404 });
    await expect(
      poll(
        async () => {
          throw failed;
        },
        { giveUp: () => new Error('no') },
      ),
    ).rejects.toBe(failed);
  });
});
