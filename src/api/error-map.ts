import { UPLOAD_EXTENSIONS_TEXT } from '../base/media.js';
import {
  ApiError,
  type ApiErrorOptions,
  AuthError,
  ExportBlockedError,
  FileTooLargeError,
  InsufficientCreditsError,
  RateLimitError,
  ServerError,
  SessionNotFoundError,
  UnsupportedFileError,
} from './errors.js';

/** Map a failed response to a typed error by meaning, not exact number (protocol §12.2). */

export interface FailureContext {
  status: number;
  code?: number | string;
  message: string;
  body?: unknown;
  path: string;
  requestId?: string;
  retryAfterMs?: number;
  userId?: string;
  webURL: string;
}

const SESSION_PATHS = ['/run_sse', '/api/state/', '/api/upload-video/', '/api/auth/claim-token'];

export function errorFromFailure(ctx: FailureContext): ApiError {
  const { status, code, message } = ctx;
  const opts: ApiErrorOptions = {
    status,
    code,
    requestId: ctx.requestId,
    serverMessage: message,
    body: ctx.body,
  };
  const where = ctx.requestId ? ` (request id ${ctx.requestId})` : '';
  if (
    code === 1001 ||
    code === 1010 ||
    code === 1011 ||
    status === 401 ||
    isTokenForbidden(status, message)
  ) {
    return new AuthError(`Authentication failed: ${message}`, {
      ...opts,
      hint: 'The token is invalid or expired; a token from NEMO_TOKEN (or the token option) is never replaced automatically.',
    });
  }
  if (
    code === 1002 ||
    /session not found/i.test(message) ||
    (status === 404 && SESSION_PATHS.some((p) => ctx.path.startsWith(p)))
  ) {
    // ADK says it itself ({"detail":"Session not found"}): its words once, not "Session not found: Session not found"
    return new SessionNotFoundError(
      /session not found/i.test(message) ? message : `Session not found: ${message}`,
      {
        ...opts,
        hint: 'The session no longer exists on the server; start a new project (a new session is created).',
      },
    );
  }
  if (code === 2001) {
    const registerUrl = ctx.userId
      ? `${ctx.webURL.replace(/\/+$/, '')}/register?bind=${encodeURIComponent(ctx.userId)}`
      : undefined;
    return new InsufficientCreditsError(
      sameThing(message, 'credits') ? message : `Not enough credits: ${message}`,
      {
        ...opts,
        registerUrl,
        hint: registerUrl
          ? `Register to get more credits: ${registerUrl}`
          : `Top up your credits at ${ctx.webURL.replace(/\/+$/, '')}/dashboard/billing`,
      },
    );
  }
  if (status === 402) {
    return new ExportBlockedError(`Export blocked by your plan: ${message}`, {
      ...opts,
      hint: 'Exports are blocked on this plan (this is not about credits): register or upgrade at nemovideo.com.',
    });
  }
  if (status === 429 || code === 429) {
    const wait = ctx.retryAfterMs !== undefined ? ` Retry in ${Math.ceil(ctx.retryAfterMs / 1000)} s.` : '';
    const what = /rate.?limit/i.test(message) ? message.replace(/\.$/, '') : `Rate limited: ${message}`;
    return new RateLimitError(`${what}.${wait}`, {
      ...opts,
      retryAfterMs: ctx.retryAfterMs,
      hint: `The server is rate-limiting requests; wait and try again.${wait}`,
    });
  }
  if (code === 4001) {
    return new UnsupportedFileError(`Unsupported file: ${message}`, {
      ...opts,
      hint: `Supported: ${UPLOAD_EXTENSIONS_TEXT}.`,
    });
  }
  if (code === 4002) {
    return new FileTooLargeError(`File too large: ${message}`, {
      ...opts,
      hint: 'Compress or trim the file (for example with ffmpeg) and upload it again.',
    });
  }
  if (status >= 500) {
    return new ServerError(`Server error: ${message}${where}`, {
      ...opts,
      hint: 'The NemoVideo server had a problem; try again in a moment.',
    });
  }
  return new ApiError(`Request failed: ${message}${where}`, opts);
}

function isTokenForbidden(status: number, message: string): boolean {
  return status === 403 && /token|expired|invalid|unauthori[sz]ed/i.test(message);
}

/** True when the server's own message already says what nemo's prefix would (so it is said once). */
function sameThing(message: string, word: string): boolean {
  return new RegExp(word, 'i').test(message);
}
