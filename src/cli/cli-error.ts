import { type ErrorKind, NemoBaseError } from '../base/errors.js';

/** An error the CLI raises itself: one line saying what happened, one line with the fix. */
export class CliError extends NemoBaseError {
  readonly fix?: string;

  constructor(message: string, opts: { fix?: string; kind?: ErrorKind; code?: string } = {}) {
    super(message, { hint: opts.fix, kind: opts.kind, code: opts.code });
    this.fix = opts.fix;
  }
}

/** Bad usage or bad local input (exit 2); nothing was sent anywhere. */
export class UsageError extends CliError {
  constructor(message: string, fix?: string) {
    super(message, { fix, kind: 'usage', code: 'usage' });
  }
}

/** The user pressed Ctrl-C (exit 130). */
export class InterruptedError extends CliError {
  constructor(message = 'interrupted', fix?: string) {
    super(message, { fix, kind: 'interrupted', code: 'interrupted' });
  }
}
