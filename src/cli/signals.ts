import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { InterruptedError } from './cli-error.js';

/** The signals that stop nemo cleanly: Ctrl-C, `kill`, and the terminal closing. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Stops on SIGINT, SIGTERM and SIGHUP. The first one aborts `signal` with an InterruptedError so the
 * running flow stops cleanly (ffmpeg killed, temp files removed, an upload or chat aborted, a render
 * wait ended with the `nemo export --resume` line); the run then exits 130 whichever signal it was
 * (the exit-codes table: 130 = interrupted). A second SIGINT or SIGTERM exits 130 at once; SIGHUP
 * never does (a closing terminal sends it more than once, and nobody is there to hurry).
 *
 * Other modules' listeners for these signals are left in place. Some of them re-send the signal to
 * the process after their own clean-up: when-exit (loaded with conf on the first config write)
 * runs its exit callbacks — atomically's temp-file purge — and then calls
 * `process.kill(process.pid, signal)`, which would arrive as a second Ctrl-C and skip the clean
 * stop. So while one signal is being dispatched (nemo's handler runs first, and the dispatch ends
 * before the next microtask), a listener's `process.kill` of this process with that same signal is
 * taken as done and not sent: the signal is already being handled.
 *
 * A terminal that goes away can also show up as EIO on stderr before (or without) SIGHUP; that is
 * taken as the hang-up too, and text for the terminal is dropped from then on.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  private readonly handler = (sig: NodeJS.Signals): void => {
    swallowReRaise(sig);
    if (this.controller.signal.aborted) {
      if (sig !== 'SIGHUP') process.exit(130);
      return;
    }
    if (sig === 'SIGHUP') terminalGone();
    this.stop(`interrupted (${sig})`);
  };

  private readonly onStreamError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EIO') return;
    terminalGone();
    this.stop('interrupted (the terminal was closed)');
  };

  private stop(message: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new InterruptedError(message));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  install(): this {
    // asked now: once the terminal is gone, isatty() says false for it
    ttyDescriptors = [0, 1, 2].filter((fd) => isatty(fd));
    // first in line, so a re-raising listener behind it finds the guard in place
    for (const sig of STOP_SIGNALS) process.prependListener(sig, this.handler);
    if (process.stderr.isTTY) process.stderr.on('error', this.onStreamError);
    return this;
  }

  uninstall(): void {
    for (const sig of STOP_SIGNALS) process.off(sig, this.handler);
    process.stderr.off('error', this.onStreamError);
  }

  /** Throws the InterruptedError when Ctrl-C was pressed. */
  check(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }
}

/**
 * Until the current signal's listeners have all run, `process.kill(process.pid, sig)` is a no-op
 * that reports success. Listeners are called synchronously one after another, and microtasks run
 * only once the dispatch is over, so the real `process.kill` is back before any other code runs.
 */
function swallowReRaise(sig: NodeJS.Signals): void {
  const real = process.kill;
  if ((real as { nemoGuard?: true }).nemoGuard) return;
  const guard = (pid: number, signal?: string | number): true => {
    // `process.kill(pid)` without a signal sends SIGTERM
    if (pid === process.pid && (signal ?? 'SIGTERM') === sig) return true;
    return real.call(process, pid, signal);
  };
  process.kill = Object.assign(guard, { nemoGuard: true as const });
  queueMicrotask(() => {
    if (process.kill === guard) process.kill = real;
  });
}

let terminalLost = false;
/** The standard descriptors that were terminals when nemo started. */
let ttyDescriptors: number[] = [];

/**
 * The terminal is gone. Errors from writing to it are dropped for the rest of the process (the error
 * line printed on the way out fails too): the run must still remove its temp files and exit 130.
 * On the way out its descriptors are closed: Node 20 restores the terminal's settings at exit and
 * aborts (exit 134) when that fails with EIO on a closed terminal (nodejs/node#51519, fixed in
 * later releases by nodejs/node#58200); a closed descriptor is skipped.
 */
function terminalGone(): void {
  if (terminalLost) return;
  terminalLost = true;
  for (const stream of [process.stdout, process.stderr]) if (stream.isTTY) stream.on('error', () => {});
  process.once('exit', () => {
    for (const fd of ttyDescriptors) {
      try {
        closeSync(fd);
      } catch {}
    }
  });
}
