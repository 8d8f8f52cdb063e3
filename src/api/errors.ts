/**
 * The one error hierarchy of the NemoVideo client. Every error has a one-line `message` and, where the
 * fix is known, a `hint` (the line the CLI prints under the error).
 */

import { type ErrorKind, NemoBaseError } from '../base/errors.js';

export interface NemoErrorOptions {
  hint?: string;
  cause?: unknown;
  kind?: ErrorKind;
  code?: string;
}

export class NemoError extends NemoBaseError {
  constructor(message: string, options: NemoErrorOptions = {}) {
    super(oneLine(message), options);
  }
}

export interface ApiErrorOptions extends Omit<NemoErrorOptions, 'code'> {
  status?: number;
  /** The server's code (a body code such as 2001, or an HTTP-level string). */
  code?: number | string;
  requestId?: string;
  serverMessage?: string;
  /** The decoded JSON body, when there was one. */
  body?: unknown;
}

/** The server answered with an error (HTTP status and/or a non-zero body code). */
export class ApiError extends NemoError {
  static override defaultCode = 'api_error';
  readonly status?: number;
  /** The server's own code, as it sent it (`code` is the CLI's machine code). */
  readonly serverCode?: number | string;
  readonly requestId?: string;
  readonly serverMessage?: string;
  readonly body?: unknown;
  constructor(message: string, options: ApiErrorOptions = {}) {
    const transient = options.status !== undefined && (options.status >= 500 || options.status === 429);
    super(message, {
      hint: options.hint,
      cause: options.cause,
      kind: options.kind ?? (transient ? 'transient' : undefined),
    });
    this.status = options.status;
    this.serverCode = options.code;
    this.requestId = options.requestId;
    this.serverMessage = options.serverMessage;
    this.body = options.body;
  }
}

export class AuthError extends ApiError {
  static override defaultKind: ErrorKind = 'auth';
  static override defaultCode = 'auth';
}
export class SessionNotFoundError extends ApiError {
  static override defaultCode = 'session_not_found';
}

export class InsufficientCreditsError extends ApiError {
  static override defaultKind: ErrorKind = 'credits';
  static override defaultCode = 'insufficient_credits';
  /** `https://nemovideo.com/register?bind=<user_id>` when the anonymous user id is known. */
  readonly registerUrl?: string;
  constructor(message: string, options: ApiErrorOptions & { registerUrl?: string } = {}) {
    super(message, options);
    this.registerUrl = options.registerUrl;
  }
}

export class ExportBlockedError extends ApiError {
  static override defaultKind: ErrorKind = 'credits';
  static override defaultCode = 'export_blocked';
}

export class RateLimitError extends ApiError {
  static override defaultKind: ErrorKind = 'transient';
  static override defaultCode = 'rate_limited';
  /** How long the server asked us to wait, in ms, when it said so. */
  readonly retryAfterMs?: number;
  constructor(message: string, options: ApiErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class UnsupportedFileError extends ApiError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'unsupported_file';
}
export class FileTooLargeError extends ApiError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'file_too_large';
}
export class ServerError extends ApiError {
  static override defaultKind: ErrorKind = 'transient';
  static override defaultCode = 'server_error';
}

/** No HTTP response: DNS, refused, reset, or a stream cut mid-way. */
export class ConnectionError extends NemoError {
  static override defaultKind: ErrorKind = 'transient';
  static override defaultCode = 'network';
}
/** A client-side time limit ran out. */
export class TimeoutError extends NemoError {
  static override defaultKind: ErrorKind = 'transient';
  static override defaultCode = 'timeout';
}
/** The caller aborted (AbortSignal, Ctrl-C). */
export class AbortError extends NemoError {
  static override defaultKind: ErrorKind = 'interrupted';
  static override defaultCode = 'interrupted';
}

/** Bad local input found before any request was sent (missing file, bad URL, …). */
export class LocalInputError extends NemoError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'bad_input';
  readonly fix: string;
  constructor(message: string, fix: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { hint: fix, cause: options.cause, code: options.code });
    this.fix = fix;
  }
}

/** A render job reached `failed`. */
export class RenderFailedError extends NemoError {
  static override defaultKind: ErrorKind = 'job_failed';
  static override defaultCode = 'render_failed';
  readonly renderId: string;
  readonly serverMessage?: string;
  constructor(renderId: string, serverMessage?: string, options: NemoErrorOptions = {}) {
    super(`Render ${renderId} failed${serverMessage ? `: ${serverMessage}` : ''}`, {
      hint: options.hint ?? 'Try the export again; a new render id is used each time.',
      cause: options.cause,
    });
    this.renderId = renderId;
    this.serverMessage = serverMessage;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
