/**
 * The one error base of every layer (api, engine, server, config, cli). Dependency-free, so the CLI
 * can match any error with `instanceof NemoBaseError` and read its `kind` without loading a layer.
 *
 * - `kind` is what went wrong in the CLI's terms; the CLI maps kinds to exit codes from one table
 *   (src/cli/exit-codes.ts, `EXIT_BY_KIND`).
 * - `code` is the stable machine code of the `--json` error event (`bad_input`, `render_failed`, …).
 * - `hint` is a fact-level fix. Libraries state facts; the CLI words command-line fixes itself.
 */
export type ErrorKind =
  /** Bad usage or bad local input, found before anything was sent or rendered (exit 2). */
  | 'usage'
  /** A network error, 5xx or 429 after retries: worth retrying later (exit 3). */
  | 'transient'
  /** No token, or a token rejected after a re-auth, or an insecure credentials file (exit 4). */
  | 'auth'
  /** A render or agent job failed (exit 5). */
  | 'job_failed'
  /** Out of credits or blocked by the plan (exit 6). */
  | 'credits'
  /** Ctrl-C, SIGTERM, SIGHUP (exit 130). */
  | 'interrupted'
  /** A local file could not be read or written (disk full, permission, read-only file system) (exit 1). */
  | 'local_io'
  /** Anything else (exit 1). */
  | 'error';

export interface NemoBaseErrorOptions {
  kind?: ErrorKind;
  code?: string;
  hint?: string;
  cause?: unknown;
}

export class NemoBaseError extends Error {
  /** The kind a subclass has unless its constructor is told otherwise. */
  static defaultKind: ErrorKind = 'error';
  /** The `--json` code a subclass has unless its constructor is told otherwise. */
  static defaultCode = 'error';

  readonly kind: ErrorKind;
  readonly code: string;
  readonly hint?: string;

  constructor(message: string, options: NemoBaseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const cls = new.target as unknown as typeof NemoBaseError;
    this.name = new.target.name;
    this.kind = options.kind ?? cls.defaultKind;
    this.code = options.code ?? cls.defaultCode;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/** True for any error of nemo's own layers. */
export function isNemoError(err: unknown): err is NemoBaseError {
  return err instanceof NemoBaseError;
}
