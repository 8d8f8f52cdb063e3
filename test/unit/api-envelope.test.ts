import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/api/envelope.js';
import { errorFromFailure } from '../../src/api/error-map.js';
import {
  ApiError,
  AuthError,
  ExportBlockedError,
  FileTooLargeError,
  InsufficientCreditsError,
  RateLimitError,
  ServerError,
  SessionNotFoundError,
  UnsupportedFileError,
} from '../../src/api/errors.js';

describe('decodeEnvelope', () => {
  it('unwraps {code:0,data}', () => {
    expect(decodeEnvelope(200, 'application/json', '{"code":0,"data":{"a":1}}')).toMatchObject({
      ok: true,
      data: { a: 1 },
    });
  });
  it('accepts code 200 as success and returns the body when data is absent', () => {
    const d = decodeEnvelope(200, 'application/json', '{"code":200,"x":2}');
    expect(d).toMatchObject({ ok: true, data: { code: 200, x: 2 } });
  });
  it('treats a non-zero body code with HTTP 200 as an error, reading message|msg|detail|error', () => {
    for (const key of ['message', 'msg', 'detail', 'error']) {
      const d = decodeEnvelope(
        200,
        'application/json',
        JSON.stringify({ code: 1001, [key]: 'Token expired' }),
      );
      expect(d).toEqual(
        expect.objectContaining({ ok: false, status: 200, code: 1001, message: 'Token expired' }),
      );
    }
  });
  it('unwraps {success:true,data} and fails on success:false', () => {
    expect(decodeEnvelope(200, 'application/json', '{"success":true,"data":{"id":"r"}}')).toMatchObject({
      ok: true,
      data: { id: 'r' },
    });
    expect(decodeEnvelope(200, 'application/json', '{"success":false,"error":"duplicate id"}')).toMatchObject(
      {
        ok: false,
        message: 'duplicate id',
      },
    );
  });
  it('passes bare objects and arrays through', () => {
    expect(decodeEnvelope(200, 'application/json', '{"status":"completed"}')).toMatchObject({
      ok: true,
      data: { status: 'completed' },
    });
    expect(decodeEnvelope(200, 'application/json', '[1,2]')).toMatchObject({ ok: true, data: [1, 2] });
  });
  it('reads the error of a non-2xx JSON body, falling back to the HTTP status', () => {
    expect(decodeEnvelope(404, 'application/json', '{"detail":"Session not found: 1"}')).toMatchObject({
      ok: false,
      status: 404,
      code: 404,
      message: 'Session not found: 1',
    });
    expect(decodeEnvelope(422, 'application/json', '{"detail":[{"msg":"field required"}]}')).toMatchObject({
      message: 'field required',
    });
    expect(decodeEnvelope(500, 'application/json', '{}')).toMatchObject({
      message: 'HTTP 500 Internal Server Error',
    });
  });
  it('turns an HTML or non-JSON body into a one-line message naming the status', () => {
    const html = '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>';
    const d = decodeEnvelope(503, 'text/html', html);
    expect(d).toMatchObject({ ok: false, status: 503, message: 'HTTP 503 Service Unavailable (HTML body)' });
    expect(decodeEnvelope(502, 'text/plain', 'Bad gateway')).toMatchObject({
      message: 'HTTP 502 Bad Gateway (non-JSON body)',
    });
    expect(decodeEnvelope(200, 'text/plain', 'oops {')).toMatchObject({ ok: false, status: 200 });
  });
  it('accepts an empty 2xx body', () => {
    expect(decodeEnvelope(204, undefined, '')).toMatchObject({ ok: true, data: undefined });
  });
});

describe('errorFromFailure (protocol §12.2)', () => {
  const base = { path: '/api/x', webURL: 'https://nemovideo.com' };
  const table: [string, Parameters<typeof errorFromFailure>[0], new (...a: never[]) => ApiError][] = [
    ['1001', { ...base, status: 200, code: 1001, message: 'Token expired' }, AuthError],
    ['1010', { ...base, status: 200, code: 1010, message: 'x' }, AuthError],
    ['1011', { ...base, status: 200, code: 1011, message: 'x' }, AuthError],
    ['401', { ...base, status: 401, code: 401, message: 'nope' }, AuthError],
    ['403 invalid token', { ...base, status: 403, code: 403, message: 'Invalid token' }, AuthError],
    ['1002', { ...base, status: 200, code: 1002, message: 'Session not found' }, SessionNotFoundError],
    [
      '404 session path',
      { ...base, status: 404, code: 404, message: 'nf', path: '/run_sse' },
      SessionNotFoundError,
    ],
    [
      'detail text',
      { ...base, status: 404, code: 404, message: 'Session not found: 5' },
      SessionNotFoundError,
    ],
    ['2001', { ...base, status: 200, code: 2001, message: 'no credits' }, InsufficientCreditsError],
    ['402', { ...base, status: 402, code: 402, message: 'blocked' }, ExportBlockedError],
    ['429', { ...base, status: 429, code: 429, message: 'slow down' }, RateLimitError],
    ['4001', { ...base, status: 200, code: 4001, message: 'bad type' }, UnsupportedFileError],
    ['4002', { ...base, status: 200, code: 4002, message: 'big' }, FileTooLargeError],
    ['503', { ...base, status: 503, code: 503, message: 'down' }, ServerError],
  ];
  it.each(table)('%s', (_name, ctx, cls) => {
    const err = errorFromFailure(ctx);
    expect(err).toBeInstanceOf(cls);
    expect(err.status).toBe(ctx.status);
    expect(err.serverMessage).toBe(ctx.message);
    expect(err.message).not.toMatch(/\n/);
  });
  it('403 that is not about the token and 404 elsewhere stay generic', () => {
    expect(errorFromFailure({ ...base, status: 403, message: 'forbidden region' }).constructor).toBe(
      ApiError,
    );
    expect(errorFromFailure({ ...base, status: 404, message: 'no such thing' }).constructor).toBe(ApiError);
  });
  it('2001 carries the register?bind link when the user id is known', () => {
    const err = errorFromFailure({ ...base, status: 200, code: 2001, message: 'x', userId: 'anon_ab c' });
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect((err as InsufficientCreditsError).registerUrl).toBe(
      'https://nemovideo.com/register?bind=anon_ab%20c',
    );
    expect(err.hint).toContain('register?bind=');
    const noUser = errorFromFailure({ ...base, status: 200, code: 2001, message: 'x' });
    expect((noUser as InsufficientCreditsError).registerUrl).toBeUndefined();
  });
  it('429 keeps retryAfterMs and names the wait in the message', () => {
    const err = errorFromFailure({ ...base, status: 429, message: 'Rate limited', retryAfterMs: 30_000 });
    expect((err as RateLimitError).retryAfterMs).toBe(30_000);
    expect(err.message).toContain('30 s');
  });
  it('includes the request id in generic and server errors', () => {
    const err = errorFromFailure({ ...base, status: 500, message: 'boom', requestId: 'req-1' });
    expect(err.requestId).toBe('req-1');
    expect(err.message).toContain('req-1');
  });
});
