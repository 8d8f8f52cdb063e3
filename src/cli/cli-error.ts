import { EXIT, type ExitCode } from './exit-codes.js';

/** An error the CLI raises itself: one line saying what happened, one line with the fix. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly fix?: string;
  readonly exitCode: ExitCode;
  readonly code?: string;

  constructor(message: string, opts: { fix?: string; exitCode?: ExitCode; code?: string } = {}) {
    super(message);
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? EXIT.error;
    this.code = opts.code;
  }
}

/** Bad usage or bad local input (exit 2); nothing was sent anywhere. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string, fix?: string) {
    super(message, { fix, exitCode: EXIT.usage, code: 'usage' });
  }
}

/** The user pressed Ctrl-C (exit 130). */
export class InterruptedError extends CliError {
  override readonly name = 'InterruptedError';
  constructor(message = 'interrupted', fix?: string) {
    super(message, { fix, exitCode: EXIT.interrupted, code: 'interrupted' });
  }
}
