import type { FileTooLargeError, InsufficientCreditsError, RateLimitError } from '../api/errors.js';
import { NemoBaseError } from '../base/errors.js';
import { UPLOAD_EXTENSIONS_TEXT } from '../base/media.js';
import { EXIT, EXIT_BY_KIND, type ExitCode } from './exit-codes.js';

/** What the CLI prints for an error: what happened, the fix, and the exit code. */
export interface ErrorReport {
  code: string;
  exitCode: ExitCode;
  message: string;
  hint?: string;
}

function retryWhen(ms: number | undefined): string {
  if (ms === undefined || ms <= 0) return 'retry in a minute';
  const s = Math.ceil(ms / 1000);
  return `retry in ${s} s${s >= 60 ? ` (~${Math.ceil(s / 60)} min)` : ''}`;
}

const webUrl = (env: NodeJS.ProcessEnv): string =>
  (env.NEMO_WEB_URL ?? 'https://nemovideo.com').replace(/\/+$/, '');

/**
 * The CLI's wording of a fix, by the error's machine code, where the layer that threw it states no
 * fix of its own (libraries state facts; command-line fixes are worded here).
 */
function cliFix(err: NemoBaseError, env: NodeJS.ProcessEnv): string | undefined {
  switch (err.code) {
    case 'insufficient_credits': {
      const url = (err as InsufficientCreditsError).registerUrl;
      return url
        ? `register to get more credits: ${url}`
        : (err.hint ?? `top up at ${webUrl(env)}/dashboard/billing`);
    }
    case 'export_blocked':
      return err.hint ?? `exports need a registered plan: register or upgrade at ${webUrl(env)}/register`;
    case 'auth':
      return 'run `nemo auth login` (or set NEMO_TOKEN to a valid token)';
    case 'rate_limited':
      return `${retryWhen((err as RateLimitError).retryAfterMs)}; the server is rate limiting this client`;
    case 'file_too_large': {
      const limit = (err as FileTooLargeError & { limitBytes?: number }).limitBytes ?? 500 * 1024 * 1024;
      return err.hint ?? `compress or trim the file to under ${Math.floor(limit / 1024 / 1024)} MB`;
    }
    case 'unsupported_file':
      return err.hint ?? `use ${UPLOAD_EXTENSIONS_TEXT}`;
    case 'render_failed':
      return err.hint ?? 'try the export again (nemo export), or change the edit (nemo chat)';
    case 'session_not_found':
      return err.hint ?? 'start a new session: nemo session new';
    case 'server_error':
    case 'network':
    case 'timeout':
      return err.hint ?? `${retryWhen(undefined)}; this looks temporary`;
    case 'api_error':
      return (
        err.hint ??
        (err.kind === 'transient'
          ? `${retryWhen(undefined)}; this looks temporary`
          : 'the server did not answer as the NemoVideo API does: check NEMO_API_URL (or a proxy in between); --debug shows the requests')
      );
    case 'output_exists':
      return 'pass --force to overwrite it, or choose another path with -o';
    case 'bad_api_url':
      return 'set NEMO_API_URL (or --api-url) to an http(s) URL such as https://mega-api-prod.nemovideo.ai';
    default:
      return err.hint;
  }
}

/**
 * Maps any error to an exit code (through its kind and EXIT_BY_KIND), a one-line message and a
 * one-line fix. Errors of nemo's layers share NemoBaseError; anything else is a bug or a raw
 * system error, exit 1.
 */
export function describeError(error: unknown, env: NodeJS.ProcessEnv = process.env): ErrorReport {
  if (!(error instanceof Error)) return { code: 'error', exitCode: EXIT.error, message: String(error) };
  const message = error.message.split('\n')[0] ?? error.message;
  if (error instanceof NemoBaseError) {
    const hint = cliFix(error, env);
    return { code: error.code, exitCode: EXIT_BY_KIND[error.kind], message, hint };
  }
  return { code: 'error', exitCode: EXIT.error, message, hint: 'run again with --debug for details' };
}
