import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialStore, StoredCredentials } from '../../src/api/auth.js';
import { NemoClient } from '../../src/api/client.js';
import { ApiError, AuthError, RateLimitError } from '../../src/api/errors.js';
import { sendJson, startTestServer, type TestServer } from '../helpers/http.js';

class MemoryStore implements CredentialStore {
  saved: StoredCredentials[] = [];
  events: string[] = [];
  constructor(private stored?: StoredCredentials) {}
  async load() {
    return this.stored;
  }
  async save(c: StoredCredentials) {
    this.events.push('save');
    this.saved.push(c);
    this.stored = c;
  }
  async clientId() {
    this.events.push('clientId persisted');
    return 'client-uuid-1';
  }
}

let server: TestServer | undefined;
let clients: NemoClient[] = [];
const savedEnv = process.env.NEMO_TOKEN;
beforeEach(() => {
  delete process.env.NEMO_TOKEN;
});
afterEach(async () => {
  if (savedEnv === undefined) delete process.env.NEMO_TOKEN;
  else process.env.NEMO_TOKEN = savedEnv;
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await server?.close();
  server = undefined;
});
function client(opts: ConstructorParameters<typeof NemoClient>[0]): NemoClient {
  const c = new NemoClient({ baseURL: server!.url, ...opts });
  clients.push(c);
  return c;
}

/** A server issuing tokens; `revoked` tokens get 401 {code:1001}. */
async function tokenServer(opts: { firstTokenExpires?: boolean; tokenBody?: (n: number) => unknown } = {}) {
  let issued = 0;
  const revoked = new Set<string>();
  server = await startTestServer((req, res, rec) => {
    if (rec.url === '/api/auth/anonymous-token') {
      issued += 1;
      const token = `nmv_usr_tok${issued}`;
      if (issued === 1 && opts.firstTokenExpires) revoked.add(token);
      return sendJson(
        res,
        200,
        opts.tokenBody?.(issued) ?? {
          code: 0,
          data: { token, user_id: 'anon_u1', credits: 100, expires_at: 'x' },
        },
      );
    }
    const auth = req.headers.authorization ?? '';
    if (revoked.has(auth.replace('Bearer ', '')))
      return sendJson(res, 401, { code: 1001, message: 'Token expired' });
    sendJson(res, 200, { code: 0, data: { available: 100, frozen: 0, total: 100 } });
  });
}

describe('anonymous token', () => {
  it('is fetched lazily with X-Client-Id and no Authorization; the client id is persisted first', async () => {
    await tokenServer();
    const store = new MemoryStore();
    const c = client({ credentials: store });
    await c.credits.get();
    const [tokenReq, creditsReq] = server!.requests;
    expect(tokenReq.url).toBe('/api/auth/anonymous-token');
    expect(tokenReq.headers['x-client-id']).toBe('client-uuid-1');
    expect(tokenReq.headers.authorization).toBeUndefined();
    expect(tokenReq.headers['x-skill-source']).toBe('nemo-cli');
    expect(creditsReq.headers.authorization).toBe('Bearer nmv_usr_tok1');
    expect(store.events).toEqual(['clientId persisted', 'save']);
    expect(store.saved[0]).toEqual({
      token: 'nmv_usr_tok1',
      userId: 'anon_u1',
      credits: 100,
      expiresAt: 'x',
      anonymous: true,
    });
    expect(c.auth.source).toBe('anonymous');
    expect(c.auth.userId()).toBe('anon_u1');
  });
  it('reads the token at data.token ?? token ?? data.access_token', async () => {
    const bodies = [{ token: 'nmv_usr_top' }, { code: 0, data: { access_token: 'nmv_usr_acc' } }];
    await tokenServer({ tokenBody: (n) => bodies[n - 1] });
    const c = client({});
    expect((await c.auth.anonymousToken()).token).toBe('nmv_usr_top');
    expect((await c.auth.anonymousToken()).token).toBe('nmv_usr_acc');
  });
  it('a 429 says the client id already has a token (hint: NEMO_TOKEN or wait)', async () => {
    server = await startTestServer((_req, res) =>
      sendJson(res, 429, { code: 429, message: 'Rate limited' }, { 'retry-after': '0' }),
    );
    const err = await client({ maxRetries: 0 })
      .auth.anonymousToken()
      .catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.hint).toMatch(/NEMO_TOKEN/);
    expect(err.message).toMatch(/already got an anonymous token/);
  });
  it('a 400 becomes a clear error', async () => {
    server = await startTestServer((_req, res) =>
      sendJson(res, 400, { code: 400, message: 'Missing X-Client-Id' }),
    );
    const err = await client({})
      .auth.anonymousToken()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/Missing X-Client-Id/);
    expect(err.hint).toMatch(/NEMO_CLIENT_ID/);
  });
});

describe('token precedence and re-auth', () => {
  it('NEMO_TOKEN wins over a stored token', async () => {
    await tokenServer();
    process.env.NEMO_TOKEN = 'nmv_usr_fromenv';
    const c = client({ credentials: new MemoryStore({ token: 'nmv_usr_stored', anonymous: true }) });
    await c.credits.get();
    expect(server!.requests[0].headers.authorization).toBe('Bearer nmv_usr_fromenv');
    expect(c.auth.source).toBe('env');
  });
  it('a stored token is used when no env token is set', async () => {
    await tokenServer();
    const c = client({ credentials: new MemoryStore({ token: 'nmv_usr_stored', anonymous: true }) });
    await c.credits.get();
    expect(server!.requests[0].headers.authorization).toBe('Bearer nmv_usr_stored');
    expect(c.auth.source).toBe('profile');
  });
  it('an expired anonymous token is renewed ONCE with the same client id, saved, and the request replayed', async () => {
    await tokenServer({ firstTokenExpires: true });
    const store = new MemoryStore();
    const c = client({ credentials: store });
    const credits = await c.credits.get();
    expect(credits.available).toBe(100);
    expect(server!.requests.map((r) => r.url)).toEqual([
      '/api/auth/anonymous-token',
      '/api/credits/balance/simple',
      '/api/auth/anonymous-token',
      '/api/credits/balance/simple',
    ]);
    expect(server!.requests[2].headers['x-client-id']).toBe('client-uuid-1');
    expect(store.saved.map((s) => s.token)).toEqual(['nmv_usr_tok1', 'nmv_usr_tok2']);
  });
  it('two clients sharing a store (with its lock) renew an expired token once between them', async () => {
    await tokenServer({ firstTokenExpires: true });
    const shared = new MemoryStore({ token: 'nmv_usr_tok1', anonymous: true });
    await shared.save({ token: 'nmv_usr_tok1', anonymous: true });
    // the revoked token must exist server-side first: issue it
    await client({}).auth.anonymousToken();
    let queue: Promise<unknown> = Promise.resolve();
    const locked = Object.assign(shared, {
      exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const run = queue.then(fn);
        queue = run.catch(() => undefined);
        return run;
      },
    });
    const [a, b] = [client({ credentials: locked }), client({ credentials: locked })];
    await Promise.all([a.credits.get(), b.credits.get()]);
    expect(server!.requests.filter((r) => r.url === '/api/auth/anonymous-token')).toHaveLength(2);
    const used = server!.requests.filter((r) => r.url !== '/api/auth/anonymous-token').slice(-2);
    expect(used.map((r) => r.headers.authorization)).toEqual(['Bearer nmv_usr_tok2', 'Bearer nmv_usr_tok2']);
  });
  it('an env token is not replaced on 401: AuthError surfaces', async () => {
    server = await startTestServer((_req, res) =>
      sendJson(res, 401, { code: 1001, message: 'Invalid token' }),
    );
    process.env.NEMO_TOKEN = 'nmv_usr_bad';
    const err = await client({})
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(server!.requests).toHaveLength(1);
  });
  it('re-auth happens at most once per request', async () => {
    server = await startTestServer((_req, res, rec) => {
      if (rec.url === '/api/auth/anonymous-token')
        return sendJson(res, 200, { code: 0, data: { token: 'nmv_usr_x' } });
      sendJson(res, 401, { code: 1001, message: 'Token expired' });
    });
    const err = await client({})
      .credits.get()
      .catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(server!.requests.filter((r) => r.url === '/api/auth/anonymous-token')).toHaveLength(2);
  });
});

describe('claim token', () => {
  it('builds $NEMO_WEB_URL/workspace/claim?ct=… without the user token', async () => {
    server = await startTestServer((_req, res) =>
      sendJson(res, 200, { code: 0, data: { claim_token: 'clm_abc', expires_in: 604800 } }),
    );
    const c = client({ token: 'nmv_usr_secret', webURL: 'https://web.test' });
    const link = await c.auth.claimToken({ taskId: 't1', sessionId: 's1' });
    expect(link).toEqual({
      claimToken: 'clm_abc',
      expiresIn: 604800,
      url: 'https://web.test/workspace/claim?ct=clm_abc',
    });
    expect(JSON.parse(server!.requests[0].body.toString())).toEqual({ task_id: 't1', session_id: 's1' });
    expect(link.url).not.toContain('nmv_usr');
  });
});
