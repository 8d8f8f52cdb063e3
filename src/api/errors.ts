/**
 * The one error hierarchy of the NemoVideo client. Every error has a one-line `message` and, where the
 * fix is known, a `hint` (the line the CLI prints under the error).
 */

export interface NemoErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class NemoError extends Error {
  readonly hint?: string;
  constructor(message: string, options: NemoErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

export interface ApiErrorOptions extends NemoErrorOptions {
  status?: number;
  code?: number | string;
  requestId?: string;
  serverMessage?: string;
  /** The decoded JSON body, when there was one. */
  body?: unknown;
}

/** The server answered with an error (HTTP status and/or a non-zero body code). */
export class ApiError extends NemoError {
  readonly status?: number;
  readonly code?: number | string;
  readonly requestId?: string;
  readonly serverMessage?: string;
  readonly body?: unknown;
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(message, options);
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId;
    this.serverMessage = options.serverMessage;
    this.body = options.body;
  }
}

export class AuthError extends ApiError {}
export class SessionNotFoundError extends ApiError {}

export class InsufficientCreditsError extends ApiError {
  /** `https://nemovideo.com/register?bind=<user_id>` when the anonymous user id is known. */
  readonly registerUrl?: string;
  constructor(message: string, options: ApiErrorOptions & { registerUrl?: string } = {}) {
    super(message, options);
    this.registerUrl = options.registerUrl;
  }
}

export class ExportBlockedError extends ApiError {}

export class RateLimitError extends ApiError {
  /** How long the server asked us to wait, in ms, when it said so. */
  readonly retryAfterMs?: number;
  constructor(message: string, options: ApiErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class UnsupportedFileError extends ApiError {}
export class FileTooLargeError extends ApiError {}
export class ServerError extends ApiError {}

/** No HTTP response: DNS, refused, reset, or a stream cut mid-way. */
export class ConnectionError extends NemoError {}
/** A client-side time limit ran out. */
export class TimeoutError extends NemoError {}
/** The caller aborted (AbortSignal, Ctrl-C). */
export class AbortError extends NemoError {}

/** Bad local input found before any request was sent (missing file, bad URL, …). */
export class LocalInputError extends NemoError {
  readonly fix: string;
  constructor(message: string, fix: string, options: { cause?: unknown } = {}) {
    super(message, { hint: fix, cause: options.cause });
    this.fix = fix;
  }
}

/** A render job reached `failed`. */
export class RenderFailedError extends NemoError {
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
