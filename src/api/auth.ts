import { randomUUID } from 'node:crypto';
import { ApiError, LocalInputError, RateLimitError } from './errors.js';
import { pickNumber, pickString } from './fields.js';
import type { TokenSource, Transport } from './transport.js';

export interface StoredCredentials {
  token: string;
  userId?: string;
  /** ISO timestamp, when the server said. */
  expiresAt?: string;
  credits?: number;
  anonymous: boolean;
}

/** Where the CLI keeps credentials (a profile); the client never imports the config module. */
export interface CredentialStore {
  load(): Promise<StoredCredentials | undefined>;
  save(credentials: StoredCredentials): Promise<void>;
  /** A stable client id, persisted BEFORE it is used for a token request. */
  clientId(): Promise<string>;
  /**
   * Runs `fn` as the only process getting a token for this store (processes sharing it would
   * otherwise each ask for an anonymous token with the same client id, and all but one get a 429).
   */
  exclusive?<T>(fn: () => Promise<T>): Promise<T>;
}

export type TokenSourceKind = 'option' | 'env' | 'profile' | 'anonymous';

export interface AnonymousToken {
  token: string;
  userId?: string;
  expiresAt?: string;
  credits?: number;
}

export interface ClaimLink {
  claimToken: string;
  expiresIn?: number;
  /** `$NEMO_WEB_URL/workspace/claim?ct=<claim_token>`; never carries the nmv_usr token. */
  url: string;
}

export interface AuthOptions {
  credentials?: CredentialStore;
  token?: string;
  clientId?: string;
  /** Where NEMO_TOKEN and NEMO_CLIENT_ID are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface Current {
  token: string;
  source: TokenSourceKind;
  anonymous: boolean;
}

/** Token handling: NEMO_TOKEN > stored token > a lazily obtained anonymous token; re-auth once on 401. */
export class Auth implements TokenSource {
  private current?: Current;
  private pending?: Promise<Current>;
  private renewing?: Promise<string | undefined>;
  private knownUserId?: string;
  private memoryClientId?: string;

  constructor(
    private readonly transport: Transport,
    private readonly options: AuthOptions = {},
  ) {}

  /** Where the token in use came from (after the first request). */
  get source(): TokenSourceKind | undefined {
    return this.current?.source;
  }

  userId(): string | undefined {
    return this.knownUserId;
  }

  /** Remember a user id learnt elsewhere (e.g. the session response). */
  rememberUserId(userId: string | undefined): void {
    if (userId) this.knownUserId = userId;
  }

  async token(): Promise<string> {
    if (this.current) return this.current.token;
    this.pending ??= this.resolve().finally(() => {
      this.pending = undefined;
    });
    this.current = await this.pending;
    return this.current.token;
  }

  async renew(failed: string): Promise<string | undefined> {
    if (!this.current?.anonymous) return undefined;
    if (this.current.token !== failed) return this.current.token;
    this.renewing ??= this.exclusive(async () => {
      // another process sharing the store may have renewed it already
      const stored = await this.stored();
      this.current = stored && stored.token !== failed ? stored : await this.obtainAndSave();
      return this.current.token;
    }).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** POST /api/auth/anonymous-token with X-Client-Id and no Authorization. */
  async anonymousToken(signal?: AbortSignal): Promise<AnonymousToken> {
    const clientId = await this.clientId();
    let result: Awaited<ReturnType<Transport['json']>>;
    try {
      result = await this.transport.json({
        method: 'POST',
        path: '/api/auth/anonymous-token',
        auth: false,
        headers: { 'x-client-id': clientId },
        signal,
      });
    } catch (err) {
      if (err instanceof RateLimitError) {
        throw new RateLimitError(
          `This client id already got an anonymous token: ${err.serverMessage ?? ''}`,
          {
            status: err.status,
            code: err.serverCode,
            requestId: err.requestId,
            serverMessage: err.serverMessage,
            retryAfterMs: err.retryAfterMs,
            hint: 'Set NEMO_TOKEN to a token from nemovideo.com (Settings → API Tokens), or wait before trying again.',
          },
        );
      }
      if (err instanceof ApiError && err.status === 400) {
        throw new ApiError(`The server refused the anonymous token request: ${err.serverMessage ?? ''}`, {
          status: 400,
          code: err.serverCode,
          requestId: err.requestId,
          serverMessage: err.serverMessage,
          hint: 'The X-Client-Id header was rejected; set NEMO_CLIENT_ID to a UUID, or set NEMO_TOKEN.',
        });
      }
      throw err;
    }
    const data = result.data;
    const top = result.body;
    const token =
      pickString(data, 'token') ??
      pickString(top, 'token') ??
      pickString(data, 'access_token') ??
      pickString(top, 'access_token');
    if (!token) {
      throw new ApiError('The anonymous token response carried no token', {
        status: result.status,
        body: result.body,
        hint: 'Set NEMO_TOKEN to a token from nemovideo.com, or check NEMO_API_URL.',
      });
    }
    return {
      token,
      userId: pickString(data, 'user_id', 'userId') ?? pickString(top, 'user_id'),
      expiresAt: pickString(data, 'expires_at', 'expiresAt'),
      credits: pickNumber(data, 'credits'),
    };
  }

  /** POST /api/auth/claim-token → a browser link that never contains the user token. */
  async claimToken(ids: { taskId: string; sessionId: string }, signal?: AbortSignal): Promise<ClaimLink> {
    const result = await this.transport.json({
      method: 'POST',
      path: '/api/auth/claim-token',
      json: { task_id: ids.taskId, session_id: ids.sessionId },
      signal,
    });
    const data = result.data;
    const claimToken = pickString(data, 'claim_token', 'claimToken');
    if (!claimToken) {
      throw new ApiError('The claim-token response carried no claim_token', {
        status: result.status,
        body: result.body,
      });
    }
    return {
      claimToken,
      expiresIn: pickNumber(data, 'expires_in', 'expiresIn'),
      url: `${this.transport.webURL.replace(/\/+$/, '')}/workspace/claim?ct=${encodeURIComponent(claimToken)}`,
    };
  }

  async clientId(): Promise<string> {
    if (this.options.clientId) return this.options.clientId;
    if (this.options.credentials) return this.options.credentials.clientId();
    const env = (this.options.env ?? process.env).NEMO_CLIENT_ID?.trim();
    if (env) return env;
    this.memoryClientId ??= randomUUID();
    return this.memoryClientId;
  }

  private async resolve(): Promise<Current> {
    const explicit = this.options.token?.trim();
    if (explicit)
      return { token: checkToken(explicit, 'the token option'), source: 'option', anonymous: false };
    const env = (this.options.env ?? process.env).NEMO_TOKEN?.trim();
    if (env) return { token: checkToken(env, 'NEMO_TOKEN'), source: 'env', anonymous: false };
    return (await this.stored()) ?? this.exclusive(async () => (await this.stored()) ?? this.obtainAndSave());
  }

  private async stored(): Promise<Current | undefined> {
    const stored = await this.options.credentials?.load();
    if (!stored?.token) return undefined;
    this.rememberUserId(stored.userId);
    return { token: stored.token, source: 'profile', anonymous: stored.anonymous };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const store = this.options.credentials;
    return store?.exclusive ? store.exclusive(fn) : fn();
  }

  private async obtainAndSave(): Promise<Current> {
    const got = await this.anonymousToken();
    this.rememberUserId(got.userId);
    await this.options.credentials?.save({ ...got, anonymous: true });
    this.current = { token: got.token, source: 'anonymous', anonymous: true };
    return this.current;
  }
}

function checkToken(token: string, where: string): string {
  if (/\s/.test(token)) {
    throw new LocalInputError(
      `${where} contains whitespace`,
      'Set it to the bare token (nmv_usr_…), without quotes or spaces.',
    );
  }
  return token;
}
