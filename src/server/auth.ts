import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { envelopeError, sendData } from './http.js';
import { newClaimToken, newToken, newUserId } from './ids.js';
import type { TokenRecord } from './store.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

function usable(t: TokenRecord, now: number): boolean {
  return !t.revoked && t.expiresAt > now;
}

/**
 * `POST /api/auth/anonymous-token` (§4.1): X-Client-Id required; one token per client id per 7-day window
 * (429 + Retry-After otherwise), except when that client's token expired or was revoked: then a new token
 * is issued for the same user, balance kept.
 */
export function anonymousToken(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  const clientId = String(req.headers['x-client-id'] ?? '').trim();
  if (!clientId) throw envelopeError(400, 400, 'Missing X-Client-Id');
  if (clientId.length > 64) throw envelopeError(400, 400, 'X-Client-Id must be at most 64 characters');
  const { store, opts } = ctx;
  const now = Date.now();
  const previous = store.clients.get(clientId);
  const key = String(req.headers['idempotency-key'] ?? '').trim();
  if (previous && usable(previous, now) && key !== '' && previous.idempotencyKey === key) {
    // a retry of the request that got this token (its answer was lost): the same answer, not a 429
    const user = store.users.get(previous.userId);
    sendData(res, {
      token: previous.token,
      user_id: previous.userId,
      expires_at: new Date(previous.expiresAt).toISOString(),
      credits: user?.available ?? 0,
    });
    return;
  }
  if (previous && usable(previous, now)) {
    const retryAfterS = Math.max(1, Math.ceil((previous.expiresAt - now) / 1000));
    throw envelopeError(429, 429, 'Rate limited: one anonymous token per client id per 7 days', {
      'Retry-After': String(retryAfterS),
    });
  }
  let userId = previous?.userId;
  if (!userId) {
    userId = newUserId();
    store.users.set(userId, { id: userId, available: opts.startCredits, frozen: 0 });
  }
  const record: TokenRecord = {
    token: newToken(),
    userId,
    clientId,
    expiresAt: now + WEEK_MS,
    revoked: false,
    ...(key === '' ? {} : { idempotencyKey: key }),
  };
  store.tokens.set(record.token, record);
  store.clients.set(clientId, record);
  const user = store.users.get(userId)!;
  sendData(res, {
    token: record.token,
    user_id: userId,
    expires_at: new Date(record.expiresAt).toISOString(),
    credits: user.available,
  });
}

/**
 * The caller's token record, or 401 1001. The `expire-token` fault fires here: that request gets
 * "Token expired" and the token is revoked.
 */
export function authenticate(ctx: ServerContext, req: IncomingMessage): TokenRecord {
  const header = String(req.headers.authorization ?? '');
  const match = /^Bearer\s+(nmv_usr_\S+)$/i.exec(header.trim());
  const record = match ? ctx.store.tokens.get(match[1]!) : undefined;
  if (!record || !usable(record, Date.now())) throw envelopeError(401, 1001, 'Invalid or expired token');
  if (ctx.faults.take('expire-token')) {
    record.revoked = true;
    ctx.log(`fault expire-token: revoked the token of ${record.userId}`);
    throw envelopeError(401, 1001, 'Token expired');
  }
  return record;
}

/** `POST /api/auth/claim-token` (§4.3): a browser link token; this server has no web app behind it. */
export function claimToken(_ctx: ServerContext, _token: TokenRecord, res: ServerResponse): void {
  sendData(res, { claim_token: newClaimToken(), expires_in: 604800 });
}
