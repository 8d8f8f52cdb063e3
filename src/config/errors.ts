import { type ErrorKind, NemoBaseError } from '../base/errors.js';

/** A problem with nemo's own files (corrupted, insecure, bad value). Carries the fix. */
export class ConfigError extends NemoBaseError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'config';
  readonly fix: string;
  readonly file?: string;

  constructor(message: string, fix: string, opts: { kind?: ErrorKind; file?: string } = {}) {
    super(message, { hint: fix, kind: opts.kind });
    this.fix = fix;
    this.file = opts.file;
  }
}
