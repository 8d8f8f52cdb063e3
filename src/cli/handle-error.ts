import { EXIT, type ExitCode } from './exit-codes.js';

/** What the CLI prints for an error: what happened, the fix, and the exit code. */
export interface ErrorReport {
  code: string;
  exitCode: ExitCode;
  message: string;
  hint?: string;
}

type AnyError = Error & {
  fix?: string;
  hint?: string;
  exitCode?: number;
  code?: string | number;
  status?: number;
  retryAfterMs?: number;
  registerUrl?: string;
  limitBytes?: number;
  maxBytes?: number;
  renderId?: string;
};

/** The class names of an error and its ancestors (duck-typed, so the api is not loaded to check). */
function classNames(err: object): string[] {
  const names: string[] = [];
  for (let p = Object.getPrototypeOf(err); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    names.push(p.constructor?.name);
  }
  return names;
}

/** True when `err` is an instance of a class named `name` (or a subclass), e.g. 'ConnectionError'. */
export function errorIs(err: unknown, name: string): boolean {
  return err instanceof Error && (err.name === name || classNames(err).includes(name));
}

function retryWhen(ms: number | undefined): string {
  if (ms === undefined || ms <= 0) return 'retry in a minute';
  const s = Math.ceil(ms / 1000);
  return `retry in ${s} s${s >= 60 ? ` (~${Math.ceil(s / 60)} min)` : ''}`;
}

const WEB = (): string => (process.env.NEMO_WEB_URL ?? 'https://nemovideo.com').replace(/\/+$/, '');

/**
 * Maps any error (the api's classes, the CLI's own, config errors, commander's) to an exit code,
 * a one-line message and a one-line fix.
 */
export function describeError(error: unknown): ErrorReport {
  if (!(error instanceof Error)) return { code: 'error', exitCode: EXIT.error, message: String(error) };
  const err = error as AnyError;
  const names = classNames(err);
  const is = (n: string) => names.includes(n) || err.name === n;
  const message = err.message.split('\n')[0] ?? err.message;
  const hint = err.fix ?? err.hint;
  const report = (code: string, exitCode: ExitCode, fix?: string): ErrorReport => ({
    code,
    exitCode,
    message,
    hint: fix,
  });

  if (is('CliError') || is('ConfigError')) {
    return report(
      typeof err.code === 'string' ? err.code : is('ConfigError') ? 'config' : 'error',
      err.exitCode as ExitCode,
      hint,
    );
  }
  if (is('LocalInputError')) return report('bad_input', EXIT.usage, hint);
  if (is('AbortError')) return report('interrupted', EXIT.interrupted, hint);
  if (is('InsufficientCreditsError')) {
    return report(
      'insufficient_credits',
      EXIT.credits,
      err.registerUrl
        ? `register to get more credits: ${err.registerUrl}`
        : (hint ?? `top up at ${WEB()}/dashboard/billing`),
    );
  }
  if (is('ExportBlockedError')) {
    return report(
      'export_blocked',
      EXIT.credits,
      hint ?? `exports need a registered plan: register or upgrade at ${WEB()}/register`,
    );
  }
  if (is('AuthError'))
    return report('auth', EXIT.auth, 'run `nemo auth login` (or set NEMO_TOKEN to a valid token)');
  if (is('RateLimitError'))
    return report(
      'rate_limited',
      EXIT.transient,
      `${retryWhen(err.retryAfterMs)}; the server is rate limiting this client`,
    );
  if (is('FileTooLargeError')) {
    const limit = err.limitBytes ?? err.maxBytes ?? 500 * 1024 * 1024;
    return report(
      'file_too_large',
      EXIT.usage,
      hint ?? `compress or trim the file to under ${Math.floor(limit / 1024 / 1024)} MB`,
    );
  }
  if (is('UnsupportedFileError'))
    return report(
      'unsupported_file',
      EXIT.usage,
      hint ?? 'use mp4, mov, mkv, webm, avi, jpg, png, gif, webp, mp3, wav, m4a or aac',
    );
  if (is('RenderFailedError')) {
    return report(
      'render_failed',
      EXIT.jobFailed,
      hint ?? 'try the export again (nemo export), or change the edit (nemo chat)',
    );
  }
  if (is('SessionNotFoundError'))
    return report('session_not_found', EXIT.error, hint ?? 'start a new session: nemo session new');
  if (is('ServerError') || is('ConnectionError') || is('TimeoutError')) {
    return report(
      is('ServerError') ? 'server_error' : is('TimeoutError') ? 'timeout' : 'network',
      EXIT.transient,
      hint ?? `${retryWhen(undefined)}; this looks temporary`,
    );
  }
  if (is('ApiError')) {
    const transient = typeof err.status === 'number' && (err.status >= 500 || err.status === 429);
    return report(
      'api_error',
      transient ? EXIT.transient : EXIT.error,
      hint ??
        'the server did not answer as the NemoVideo API does: check NEMO_API_URL (or a proxy in between); --debug shows the requests',
    );
  }
  if (is('FfmpegNotFoundError')) return report('ffmpeg_missing', EXIT.error, hint);
  return report('error', EXIT.error, hint ?? 'run again with --debug for details');
}
