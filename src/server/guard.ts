import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { envelopeError, isLoopback } from './http.js';

/** The header that carries the admin secret. */
export const ADMIN_HEADER = 'x-nemo-admin';

/** A fresh per-run admin secret: 256 random bits, base64url. */
export const newAdminSecret = (): string => randomBytes(32).toString('base64url');

const WILDCARD = new Set(['0.0.0.0', '::', '']);

export const isWildcard = (host: string): boolean => WILDCARD.has(host);

/** `::1` → `[::1]`; IPv4 addresses and names as they are. */
export const hostLiteral = (address: string): string =>
  address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;

/** Lower-cased, without a trailing dot. */
const norm = (host: string): string => host.trim().toLowerCase().replace(/\.$/, '');

/**
 * The machine's interface addresses a server bound to `wildcard` answers on: IPv4 ones for `0.0.0.0`,
 * IPv4 and IPv6 for `::` (link-local IPv6 left out: it needs a zone no URL carries).
 */
export function interfaceAddresses(wildcard: string): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && (wildcard === '0.0.0.0' || /^fe80:/i.test(a.address))) continue;
      out.push(a.address);
    }
  }
  return out;
}

/**
 * The `Host` header values this server answers: the bound address, `localhost`, `127.0.0.1` and `[::1]`
 * with the port (every interface address when bound to all of them), plus `extra` names (`name` = this
 * port, `name:port` = that port, for a proxy or port forward in front). Anything else is another site's
 * name pointed at this address (DNS rebinding) or a misrouted request.
 */
export function allowedHosts(boundHost: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  if (isWildcard(boundHost)) names.push('0.0.0.0', '[::]', ...interfaceAddresses(boundHost).map(hostLiteral));
  else names.push(hostLiteral(boundHost));
  const out = new Set<string>();
  for (const n of names) {
    out.add(norm(`${n}:${port}`));
    if (port === 80) out.add(norm(n));
  }
  for (const e of extra) {
    out.add(norm(/^(\[[^\]]+\]|[^:[\]]+):\d+$/.test(e) ? e : `${hostLiteral(e)}:${port}`));
  }
  return out;
}

/** 421 unless the request's `Host` is one of `allowed`. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): void {
  const host = req.headers.host;
  if (host && allowed.has(norm(host))) return;
  throw envelopeError(
    421,
    421,
    host
      ? `Misdirected request: this server does not answer for Host ${JSON.stringify(host.slice(0, 200))}`
      : 'Misdirected request: a Host header is required',
  );
}

/** What the admin endpoints need to know about the run. */
export interface AdminPolicy {
  /** Undefined = admin endpoints are off (they answer 404 like any unknown path). */
  secret?: string;
  allowedHosts: ReadonlySet<string>;
}

function sameSecret(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/**
 * Lets an admin request through or throws: 404 when admin is off, 403 for a non-loopback peer or a
 * foreign `Origin` (a web page's request), 401 without the right `X-Nemo-Admin` secret, 415 for a
 * POST body that is not `application/json` (forms and `text/plain` are what a browser can send
 * cross-site without asking).
 */
export function checkAdmin(req: IncomingMessage, path: string, policy: AdminPolicy): void {
  if (policy.secret === undefined) throw envelopeError(404, 404, `Not found: ${req.method} ${path}`);
  if (!isLoopback(req.socket.remoteAddress))
    throw envelopeError(403, 403, 'Admin endpoints are loopback-only');
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, policy.allowedHosts))
    throw envelopeError(403, 403, 'Admin endpoints refuse cross-origin requests');
  const given = req.headers[ADMIN_HEADER];
  if (typeof given !== 'string' || !sameSecret(given, policy.secret))
    throw envelopeError(
      401,
      401,
      'Admin endpoints need the X-Nemo-Admin header with this run’s admin secret',
    );
  if (req.method === 'POST') {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json')
      throw envelopeError(415, 415, 'Admin POST bodies must be Content-Type: application/json');
  }
}

function sameOrigin(origin: string, allowed: ReadonlySet<string>): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && allowed.has(norm(u.host || '')) && u.pathname === '/';
  } catch {
    return false;
  }
}
