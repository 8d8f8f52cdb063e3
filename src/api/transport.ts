import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { rememberSecret } from '../base/redact.js';
import { packageVersion } from '../base/version.js';
import { formatRequestLine, type Logger } from './debug-log.js';
import { type Decoded, decodeEnvelope } from './envelope.js';
import { errorFromFailure } from './error-map.js';
import {
  AbortError,
  ApiError,
  AuthError,
  ConnectionError,
  LocalInputError,
  NemoError,
  SessionNotFoundError,
  TimeoutError,
} from './errors.js';
import {
  DEFAULT_MAX_RETRIES,
  type HeaderBag,
  header,
  isNetworkFailure,
  Retryable,
  retryAfterMs,
  retrying,
  shouldRetryStatus,
} from './retry.js';
import { type HttpParts, loadHttpParts } from './undici-parts.js';
import { parseHttpUrl } from './urls.js';

/** The one place where the client speaks HTTP (undici `request`, never global fetch). */

export const DEFAULT_BASE_URL = 'https://mega-api-prod.nemovideo.ai';
export const DEFAULT_WEB_URL = 'https://nemovideo.com';
export const DEFAULT_TIMEOUT_MS = 60_000;
/** undici's own timers for long bodies (SSE, downloads); our idle timers are finer. */
export const LONG_TIMEOUT_MS = 20 * 60_000;

export interface TokenSource {
  /** The bearer token to send (may obtain an anonymous token lazily). */
  token(): Promise<string>;
  /** After an AuthError on `failed`: a fresh token when one can be obtained, else undefined. */
  renew(failed: string): Promise<string | undefined>;
  /** The user id, when known (for the `register?bind=` link). */
  userId(): string | undefined;
}

/** A request body that can be produced again for every attempt (so it is replayable). */
export type BodyFactory = () => { body: AsyncIterable<Uint8Array>; length: number };

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path relative to the base URL (starts with `/`). */
  path: string;
  json?: unknown;
  body?: BodyFactory;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  /** Send Authorization (default true). */
  auth?: boolean;
  /** Apply the retry policy (default true). Re-auth after a 401 happens regardless. */
  retry?: boolean;
  signal?: AbortSignal;
  /** Per-attempt limit: whole exchange for JSON, time to response headers for streams. */
  timeoutMs?: number;
  maxRetries?: number;
}

export interface JsonResult {
  data: unknown;
  body: unknown;
  status: number;
  headers: HeaderBag;
}

export interface StreamResult {
  status: number;
  headers: HeaderBag;
  body: Dispatcher.ResponseData['body'];
  requestId?: string;
}

export interface TransportOptions {
  baseURL?: string;
  /** Where NEMO_API_URL, NEMO_WEB_URL, SKILL_SOURCE and the proxy variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  webURL?: string;
  maxRetries?: number;
  timeoutMs?: number;
  platform?: string;
  logger?: Logger;
  userAgent?: string;
}

/** nemo's version (User-Agent, X-Skill-Version). */
export function clientVersion(): string {
  return packageVersion();
}

/** option > NEMO_API_URL > production; http(s) only. */
export function resolveBaseURL(option?: string, env: NodeJS.ProcessEnv = process.env): URL {
  const raw = option ?? (env.NEMO_API_URL?.trim() || DEFAULT_BASE_URL);
  const url = parseHttpUrl(
    raw,
    'API base URL',
    'Use an http(s) URL such as https://mega-api-prod.nemovideo.ai',
    'bad_api_url',
  );
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

export function hasProxyEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((k) => (env[k] ?? '') !== '');
}

/** 169.254.0.0/16 and fe80::/10 (also as IPv4-mapped IPv6): cloud metadata and other on-link services. */
export function isLinkLocal(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  if (/^fe[89ab][0-9a-f]?:/.test(host)) return true;
  // ::ffff:169.254.x.y, which URL writes as ::ffff:a9fe:xxxx
  return /^(?:0{0,4}:){0,5}:?ffff:a9fe:[0-9a-f]{1,4}$/.test(host);
}

/** Refuses a link-local target before anything is sent (kind usage, exit 2). */
export function checkTarget(url: URL): void {
  if (isLinkLocal(url)) {
    throw new LocalInputError(
      `Refusing to connect to the link-local address ${url.host} (${url.origin})`,
      'link-local addresses (169.254.0.0/16, fe80::/10) hold cloud metadata services; use the real server address',
      { code: 'link_local' },
    );
  }
}

/**
 * Whether a request to `url` may carry the API's credentials: only when `url` has the API's origin and
 * so did every earlier hop of its redirect chain (`hops`, the URLs requested before it, first to
 * last). A redirect that went through another host and came back to the API gets no token: that
 * host chose the URL.
 */
export function mayCarryToken(apiOrigin: string, url: URL, hops: readonly URL[] = []): boolean {
  return url.origin === apiOrigin && hops.every((h) => h.origin === apiOrigin);
}

type Attempt =
  | { kind: 'response'; status: number; headers: HeaderBag; body: Dispatcher.ResponseData['body'] }
  | { kind: 'error'; error: NemoError };

interface Sent {
  status: number;
  headers: HeaderBag;
  body: Dispatcher.ResponseData['body'];
  /** Set for every response whose body was read (all but 2xx streams). */
  decoded?: Extract<Decoded, { ok: true }>;
}

export class Transport {
  readonly baseURL: URL;
  private readonly env: NodeJS.ProcessEnv;
  readonly webURL: string;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly logger?: Logger;
  private readonly platform: string;
  private readonly userAgent: string;
  private http?: HttpParts;
  tokens?: TokenSource;

  constructor(options: TransportOptions = {}) {
    this.env = options.env ?? process.env;
    this.baseURL = resolveBaseURL(options.baseURL, this.env);
    this.webURL = (options.webURL ?? this.env.NEMO_WEB_URL?.trim()) || DEFAULT_WEB_URL;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.platform = options.platform ?? (this.env.SKILL_SOURCE?.trim() || 'unknown');
    this.userAgent = options.userAgent ?? `nemo-cli/${clientVersion()}`;
    this.logger = options.logger;
  }

  url(path: string): string {
    return `${this.baseURL.origin}${this.baseURL.pathname.replace(/\/+$/, '')}${path}`;
  }

  /** True when `url` has the API's origin (the only place the bearer token may go). */
  isApiOrigin(url: URL): boolean {
    return url.origin === this.baseURL.origin;
  }

  /** Attribution headers sent with every request to the API. */
  skillHeaders(): Record<string, string> {
    return {
      'x-skill-source': 'nemo-cli',
      'x-skill-version': clientVersion(),
      'x-skill-platform': this.platform,
      'user-agent': this.userAgent,
    };
  }

  async json(spec: RequestSpec): Promise<JsonResult> {
    const res = await this.send(spec, false);
    return { data: res.decoded?.data, body: res.decoded?.body, status: res.status, headers: res.headers };
  }

  /** A 2xx response with its body unread (SSE); failures become typed errors. */
  async stream(spec: RequestSpec): Promise<StreamResult> {
    const res = await this.send(spec, true);
    // A successful JSON answer was already read: the stream has no events.
    const body = res.decoded ? (Readable.from([]) as unknown as StreamResult['body']) : res.body;
    return { status: res.status, headers: res.headers, body, requestId: requestIdOf(res.headers) };
  }

  /**
   * Run a request with the user path segment `me`; when the server says the session or path is missing
   * and the real user id is known, try once more with it (the older API form, protocol §12.10).
   */
  async withUser<T>(run: (user: string) => Promise<T>): Promise<T> {
    try {
      return await run('me');
    } catch (err) {
      const user = this.tokens?.userId();
      const missing = err instanceof SessionNotFoundError || (err instanceof ApiError && err.status === 404);
      if (!user || !missing) throw err;
      return run(encodeURIComponent(user));
    }
  }

  /**
   * The API's headers (attribution and the bearer token) for a request to `url` reached through the
   * redirect chain `hops` (URLs requested before it): empty unless `mayCarryToken`.
   */
  async authHeadersFor(url: URL, hops: readonly URL[] = []): Promise<Record<string, string>> {
    if (!mayCarryToken(this.baseURL.origin, url, hops)) return {};
    const headers = this.skillHeaders();
    if (this.tokens) headers.authorization = `Bearer ${await this.token()}`;
    return headers;
  }

  /**
   * One plain request to an absolute URL (downloads). No retries; the token goes only to the API's
   * origin, and never on a redirect hop that came through another host (pass the chain as `hops`).
   * Link-local targets are refused.
   */
  async raw(
    url: URL,
    opts: {
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      signal?: AbortSignal;
      hops?: readonly URL[];
    } = {},
  ): Promise<Dispatcher.ResponseData> {
    checkTarget(url);
    const headers: Record<string, string> = { ...opts.headers };
    Object.assign(headers, await this.authHeadersFor(url, opts.hops));
    const started = Date.now();
    try {
      const res = await this.getHttp().request(url, {
        method: opts.method ?? 'GET',
        headers,
        signal: opts.signal,
        headersTimeout: this.timeoutMs,
        // Idle time between body chunks: a stalled download fails and is resumed.
        bodyTimeout: this.timeoutMs,
      });
      this.log({ method: opts.method ?? 'GET', url: url.href, status: res.statusCode, started, retry: 0 });
      return res;
    } catch (err) {
      const error = toNemoError(err, opts.signal, false);
      this.log({ method: opts.method ?? 'GET', url: url.href, error, started, retry: 0 });
      throw error;
    }
  }

  /** The typed error for a decoded failure answer to a request on `path`. */
  errorOf(path: string, headers: HeaderBag, failure: Extract<Decoded, { ok: false }>): ApiError {
    return errorFromFailure({
      status: failure.status,
      code: failure.code,
      message: failure.message,
      body: failure.body,
      path,
      requestId: requestIdOf(headers),
      retryAfterMs: retryAfterMs(headers),
      userId: this.tokens?.userId(),
      webURL: this.webURL,
    });
  }

  async close(): Promise<void> {
    await this.http?.dispatcher.close();
    this.http = undefined;
  }

  private getHttp(): HttpParts {
    this.http ??= loadHttpParts(hasProxyEnv(this.env) ? this.env : undefined, {
      headersTimeout: LONG_TIMEOUT_MS,
      bodyTimeout: LONG_TIMEOUT_MS,
    });
    return this.http;
  }

  /** The token to send, remembered so that nothing nemo prints can show it. */
  private async token(): Promise<string> {
    const token = await (this.tokens as TokenSource).token();
    rememberSecret(token);
    return token;
  }

  private async send(spec: RequestSpec, streaming: boolean): Promise<Sent> {
    checkTarget(this.baseURL);
    let token = spec.auth !== false && this.tokens ? await this.token() : undefined;
    let renewed = false;
    // one key for every attempt of one POST: a server that keeps keys answers a retry whose first answer
    // was lost (the anonymous-token request, a render submit) as it answered the first, not twice
    const idempotencyKey = spec.method === 'POST' ? randomUUID() : undefined;
    return retrying(
      async (retries) => {
        for (;;) {
          try {
            return await this.exchange(spec, token, streaming, retries, idempotencyKey);
          } catch (err) {
            // a renewed token is not a retry: the same attempt again, once
            const error = err instanceof Retryable ? err.error : err;
            if (!(error instanceof AuthError && token && !renewed && this.tokens)) throw err;
            const fresh = await this.tokens.renew(token);
            rememberSecret(fresh);
            if (!fresh) throw err;
            token = fresh;
            renewed = true;
          }
        }
      },
      { retries: spec.retry === false ? 0 : (spec.maxRetries ?? this.maxRetries), signal: spec.signal },
    );
  }

  /**
   * One request and its answer. A failure is thrown as a typed error, wrapped in `Retryable` when it may
   * be retried: no answer (connection error, timeout), or an answer whose status and headers allow it.
   */
  private async exchange(
    spec: RequestSpec,
    token: string | undefined,
    streaming: boolean,
    retries: number,
    idempotencyKey?: string,
  ): Promise<Sent> {
    const started = Date.now();
    const attempt = await this.attempt(spec, token, streaming, retries, idempotencyKey);
    if (attempt.kind === 'error') {
      const { error } = attempt;
      this.log({ method: spec.method, url: this.url(spec.path), error, started, retry: retries });
      throw isNetworkFailure(error) ? new Retryable(error) : error;
    }
    const { status, headers, body } = attempt;
    this.log({ method: spec.method, url: this.url(spec.path), status, started, retry: retries });
    // A JSON answer to a stream request is an envelope (e.g. HTTP 200 + code 2001): decode it.
    if (status >= 200 && status < 300 && streaming && !/json/i.test(header(headers, 'content-type') ?? '')) {
      return attempt;
    }
    let text: string;
    try {
      text = await readText(body, spec.signal);
    } catch (err) {
      throw toNemoError(err, spec.signal, false);
    }
    const decoded = decodeEnvelope(status, header(headers, 'content-type'), text);
    if (decoded.ok) return { status, headers, body, decoded };
    const error = this.errorOf(spec.path, headers, decoded);
    throw status >= 300 && shouldRetryStatus(status, headers)
      ? new Retryable(error, retryAfterMs(headers))
      : error;
  }

  private async attempt(
    spec: RequestSpec,
    token: string | undefined,
    streaming: boolean,
    retries: number,
    idempotencyKey?: string,
  ): Promise<Attempt> {
    if (spec.signal?.aborted) return { kind: 'error', error: new AbortError('Request was aborted.') };
    const headers: Record<string, string> = {
      ...this.skillHeaders(),
      accept: spec.accept ?? 'application/json',
      ...spec.headers,
    };
    if (retries > 0) headers['x-nemo-retry-count'] = String(retries);
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | AsyncIterable<Uint8Array> | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = spec.contentType ?? 'application/json';
    } else if (spec.body) {
      const made = spec.body();
      body = made.body;
      headers['content-length'] = String(made.length);
      if (spec.contentType) headers['content-type'] = spec.contentType;
    }
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new TimeoutError(`Request timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = (): void => ctl.abort(spec.signal?.reason);
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.getHttp().request(new URL(this.url(spec.path)), {
        method: spec.method,
        headers,
        // undici streams async iterables of Buffers natively
        body,
        signal: ctl.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: streaming ? LONG_TIMEOUT_MS : timeoutMs,
      });
      if (!streaming) {
        // Read the whole body under the same timer.
        const text = await readText(res.body, ctl.signal);
        return { kind: 'response', status: res.statusCode, headers: res.headers, body: replayBody(text) };
      }
      return { kind: 'response', status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      return { kind: 'error', error: toNemoError(err, spec.signal, timedOut, timeoutMs) };
    } finally {
      clearTimeout(timer);
      if (!streaming) spec.signal?.removeEventListener('abort', onAbort);
    }
  }

  private log(f: {
    method: string;
    url: string;
    status?: number;
    error?: NemoError;
    started: number;
    retry: number;
  }): void {
    if (!this.logger) return;
    this.logger(
      formatRequestLine({
        method: f.method,
        url: f.url,
        status: f.status,
        error: f.error?.name,
        ms: Date.now() - f.started,
        retry: f.retry,
      }),
    );
  }
}

export function requestIdOf(headers: HeaderBag): string | undefined {
  return header(headers, 'x-request-id') ?? header(headers, 'request-id');
}

/** Turn anything undici throws into our typed errors. */
export function toNemoError(
  err: unknown,
  signal: AbortSignal | undefined,
  timedOut: boolean,
  timeoutMs?: number,
): NemoError {
  if (err instanceof NemoError) return err;
  if (signal?.aborted) return new AbortError('Request was aborted.', { cause: err });
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TimeoutError(
      `Request timed out${timeoutMs ? ` after ${timeoutMs} ms` : ''} (no answer from the server)`,
      { cause: err, hint: 'The server is slow or unreachable; try again, or raise the timeout.' },
    );
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new ConnectionError(`Connection failed: ${detail}${code ? ` (${code})` : ''}`, {
    cause: err,
    hint: 'Check your network connection and NEMO_API_URL (or your HTTPS_PROXY settings).',
  });
}

async function readText(body: Dispatcher.ResponseData['body'], signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) throw new AbortError('Request was aborted.');
  return body.text();
}

/** A body already read, wrapped so callers can read it again with `.text()`. */
function replayBody(text: string): Dispatcher.ResponseData['body'] {
  return { text: async () => text } as unknown as Dispatcher.ResponseData['body'];
}
