import { InterruptedError } from './cli-error.js';

/**
 * Ctrl-C handling. The first SIGINT (or SIGTERM) aborts `signal` with an InterruptedError so the
 * running flow can stop cleanly (abort an upload or chat, or stop waiting for a render and print
 * how to resume); a second one exits at once with 130.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  private readonly handler = (sig: NodeJS.Signals): void => {
    if (this.controller.signal.aborted) {
      process.exit(130);
    }
    this.controller.abort(new InterruptedError(`interrupted (${sig})`));
  };

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Removes a SIGINT/SIGTERM listener added later by a module loaded on demand (see install). */
  private readonly evict = (event: string | symbol, listener: unknown): void => {
    if ((event === 'SIGINT' || event === 'SIGTERM') && listener !== this.handler) {
      // 'newListener' fires before the listener is added
      queueMicrotask(() => process.off(event, listener as () => void));
    }
  };

  /**
   * nemo owns Ctrl-C. Listeners already there are removed, and so are those added later (conf is
   * loaded on the first write, mid-command): atomically's when-exit (through conf) re-raises the signal
   * at itself, which would turn one Ctrl-C into two and skip the clean stop. Their 'exit' hooks
   * (temp-file cleanup) still run when nemo exits.
   */
  install(): this {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    process.on('newListener', this.evict);
    return this;
  }

  uninstall(): void {
    process.off('newListener', this.evict);
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }

  /** Throws the InterruptedError when Ctrl-C was pressed. */
  check(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }
}
