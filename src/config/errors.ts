/** A problem with nemo's own files (corrupted, insecure, bad value). Carries the fix and an exit code. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly fix: string;
  readonly exitCode: number;
  readonly file?: string;

  constructor(message: string, fix: string, opts: { exitCode?: number; file?: string } = {}) {
    super(message);
    this.fix = fix;
    this.exitCode = opts.exitCode ?? 2;
    this.file = opts.file;
  }
}
