import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ApiError,
  AuthError,
  ConnectionError,
  ExportBlockedError,
  FileTooLargeError,
  InsufficientCreditsError,
  LocalInputError,
  RateLimitError,
  RenderFailedError,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
  UnsupportedFileError,
} from '../../src/api/index.js';
import { NemoBaseError } from '../../src/base/errors.js';
import { InterruptedError, UsageError } from '../../src/cli/cli-error.js';
import { EXIT, EXIT_BY_KIND, EXIT_CODE_TABLE, exitCodesText } from '../../src/cli/exit-codes.js';
import { describeError } from '../../src/cli/handle-error.js';
import { ConfigError } from '../../src/config/index.js';
import {
  EditInputError,
  EngineAbortedError,
  FfmpegFailedError,
  UnknownInstructionError,
} from '../../src/engine/errors.js';

describe('exit codes', () => {
  it('the documented table', () => {
    expect(EXIT_CODE_TABLE.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 130]);
    expect(exitCodesText()).toContain('130  interrupted');
  });

  it.each([
    [new UsageError('bad', 'fix'), EXIT.usage, 'usage'],
    [new LocalInputError('File not found: a.mp4', 'check the path'), EXIT.usage, 'bad_input'],
    [new ConfigError('config.json is corrupted', 'mv it'), EXIT.usage, 'config'],
    [
      new ConfigError('credentials.json is readable by others', 'chmod 600', { kind: 'auth' }),
      EXIT.auth,
      'config',
    ],
    [new AuthError('Token expired', { status: 401, code: 1001 }), EXIT.auth, 'auth'],
    [
      new RateLimitError('Rate limited', { status: 429, retryAfterMs: 30_000 }),
      EXIT.transient,
      'rate_limited',
    ],
    [
      new ServerError('HTTP 503 Service Unavailable (non-JSON body)', { status: 503 }),
      EXIT.transient,
      'server_error',
    ],
    [new ConnectionError('socket hang up'), EXIT.transient, 'network'],
    [new TimeoutError('no event for 600 s'), EXIT.transient, 'timeout'],
    [new RenderFailedError('render_1', 'encoder crashed'), EXIT.jobFailed, 'render_failed'],
    [new InsufficientCreditsError('No credits', { code: 2001 }), EXIT.credits, 'insufficient_credits'],
    [new ExportBlockedError('Export blocked', { status: 402 }), EXIT.credits, 'export_blocked'],
    [new FileTooLargeError('File too large', { code: 4002 }), EXIT.usage, 'file_too_large'],
    [new UnsupportedFileError('Unsupported', { code: 4001 }), EXIT.usage, 'unsupported_file'],
    [new SessionNotFoundError('Session not found', { code: 1002 }), EXIT.error, 'session_not_found'],
    [new ApiError('Bad request', { status: 400 }), EXIT.error, 'api_error'],
    [new AbortError('aborted'), EXIT.interrupted, 'interrupted'],
    [new InterruptedError(), EXIT.interrupted, 'interrupted'],
    // engine errors: bad local requests are bad input, not "run again with --debug"
    [new EditInputError('background music needs a file'), EXIT.usage, 'bad_input'],
    [new UnknownInstructionError(['zzz'], ['trim silences']), EXIT.usage, 'unknown_instruction'],
    [new EngineAbortedError(), EXIT.interrupted, 'interrupted'],
    [new FfmpegFailedError(1, 'Invalid data'), EXIT.error, 'ffmpeg_failed'],
    [new Error('boom'), EXIT.error, 'error'],
  ])('%s → exit %i (%s)', (err, exitCode, code) => {
    const r = describeError(err);
    expect(r.exitCode).toBe(exitCode);
    expect(r.code).toBe(code);
    expect(r.message).not.toContain('\n');
  });

  it('every error gets a fix line naming what to do', () => {
    expect(
      describeError(
        new InsufficientCreditsError('No credits', {
          registerUrl: 'https://nemovideo.com/register?bind=anon_1',
        }),
      ).hint,
    ).toBe('register to get more credits: https://nemovideo.com/register?bind=anon_1');
    expect(describeError(new ExportBlockedError('blocked', { status: 402 })).hint).toMatch(
      /register or upgrade/,
    );
    expect(describeError(new FileTooLargeError('too big', { code: 4002 })).hint).toMatch(
      /compress or trim .* 500 MB/,
    );
    expect(describeError(new AuthError('Token expired', { code: 1001 })).hint).toMatch(/nemo auth login/);
    expect(describeError(new RateLimitError('Rate limited', { retryAfterMs: 30_000 })).hint).toMatch(
      /retry in 30 s/,
    );
    expect(describeError(new Error('boom')).hint).toMatch(/--debug/);
    // a server answer nemo cannot use (invalid JSON, an unexpected shape)
    expect(
      describeError(new ApiError('Request failed: HTTP 200 OK (non-JSON body)', { status: 200 })).hint,
    ).toMatch(/check NEMO_API_URL.*--debug/);
  });

  it('every layer error shares the base; kinds map to exit codes from one table', () => {
    for (const err of [
      new UsageError('x'),
      new ConfigError('x', 'y'),
      new SessionNotFoundError('x'),
      new EditInputError('x'),
    ])
      expect(err).toBeInstanceOf(NemoBaseError);
    expect(Object.keys(EXIT_BY_KIND).sort()).toEqual(
      ['auth', 'credits', 'error', 'interrupted', 'job_failed', 'local_io', 'transient', 'usage'].sort(),
    );
  });

  it('the api states facts; the CLI words the command-line fix', () => {
    expect(new AuthError('Token expired', { code: 1001 }).hint ?? '').not.toMatch(/nemo auth login/);
    expect(
      describeError(new LocalInputError('Output file already exists: a.mp4', 'x', { code: 'output_exists' }))
        .hint,
    ).toMatch(/--force/);
  });
});
