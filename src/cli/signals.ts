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

  install(): this {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    return this;
  }

  uninstall(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }

  /** Throws the InterruptedError when Ctrl-C was pressed. */
  check(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }
}
