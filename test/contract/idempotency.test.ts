import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NemoClient } from '../../src/api/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';

let server: RunningServer;
let proxy: Server;
let proxyUrl: string;
const seen: { path: string; key?: string; retry?: string; status?: number }[] = [];
let dropNextTokenAnswer = false;

/**
 * A loopback proxy in front of a real `nemo serve`: it forwards every request, and when asked, lets the
 * anonymous-token request reach the server and then cuts the connection before the answer reaches the
 * client (a lost answer: the server issued a token the client never saw).
 */
beforeAll(async () => {
  server = await startServer({ port: 0 });
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(`${server.url}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    seen.push({
      path: req.url ?? '',
      key: req.headers['idempotency-key'] as string | undefined,
      retry: req.headers['x-nemo-retry-count'] as string | undefined,
      status: upstream.status,
    });
    if (req.url === '/api/auth/anonymous-token' && dropNextTokenAnswer) {
      dropNextTokenAnswer = false;
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => proxy.close(r));
  await server.close();
});

describe('a retried POST carries one Idempotency-Key (nemo serve honours it on the anonymous token)', () => {
  it('a lost anonymous-token answer is retried with the same key and gets the same token, not a 429', async () => {
    seen.length = 0;
    dropNextTokenAnswer = true;
    const client = new NemoClient({ baseURL: proxyUrl, env: {} });
    try {
      const credits = await client.credits.get();
      expect(credits.available).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    const tokenRequests = seen.filter((s) => s.path === '/api/auth/anonymous-token');
    expect(tokenRequests).toHaveLength(2);
    expect(tokenRequests[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokenRequests[1]?.key).toBe(tokenRequests[0]?.key);
    expect(tokenRequests[1]?.retry).toBe('1');
    expect(tokenRequests.map((t) => t.status)).toEqual([200, 200]);
  });

  it('without the same key, a second request for the same client id is still refused (429)', async () => {
    const clientId = '8d3f0c1e-5b6a-4c1e-9f8e-2a7b6c5d4e3f';
    const ask = (key: string) =>
      fetch(`${server.url}/api/auth/anonymous-token`, {
        method: 'POST',
        headers: { 'x-client-id': clientId, 'idempotency-key': key },
      });
    const first = await ask('k1');
    expect(first.status).toBe(200);
    const same = await ask('k1');
    expect(same.status).toBe(200);
    expect(((await same.json()) as { data: { token: string } }).data.token).toBe(
      ((await first.json()) as { data: { token: string } }).data.token,
    );
    expect((await ask('k2')).status).toBe(429);
  });
});
