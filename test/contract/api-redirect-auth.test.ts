import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NemoClient } from '../../src/api/client.js';
import { LocalInputError } from '../../src/api/errors.js';
import { isLinkLocal, mayCarryToken, Transport } from '../../src/api/transport.js';
import { tempDir } from '../e2e/helpers.js';
import { makeClip } from '../helpers/media.js';

/**
 * Issue 10, items 17 and 18 (transport): the bearer token goes only where nemo itself addressed the
 * API, never on a redirect hop that came through another host, even one that points back at the API;
 * link-local targets are refused; --debug lines hide URL credentials and signatures. Two real HTTP
 * servers on two loopback addresses (127.0.0.1 is "the API", 127.0.0.2 "another host").
 */

interface Host {
  url: string;
  seen: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

async function host(
  address: string,
  answer: (req: IncomingMessage, res: ServerResponse, self: () => Host) => void,
): Promise<Host> {
  const seen: Host['seen'] = [];
  let me: Host | undefined;
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '/', authorization: req.headers.authorization });
    answer(req, res, () => me as Host);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  me = {
    url: `http://${address}:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return me;
}

const redirect = (res: ServerResponse, to: string) => {
  res.writeHead(302, { location: to, 'content-length': '0' });
  res.end();
};
/** A real (tiny) mp4: downloads check that what arrives is media. */
let clip: Buffer;
beforeAll(async () => {
  clip = readFileSync(await makeClip(join(tempDir(), 'clip.mp4'), { durationS: 0.5 }));
}, 60_000);
const media = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
  res.end(clip);
};

const TOKEN = 'nmv_usr_hopSecret0123456789';
let open: Host[] = [];
let client: NemoClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await Promise.all(open.map((h) => h.close()));
  open = [];
});

/** API (127.0.0.1): /start → other host /bounce → back to the API /final. */
async function bounceSetup(): Promise<{ api: Host; other: Host }> {
  let otherUrl = '';
  const api = await host('127.0.0.1', (req, res, self) => {
    if (req.url === '/start') return redirect(res, `${otherUrl}/bounce`);
    if (req.url === '/same') return redirect(res, `${self().url}/final`);
    return media(res);
  });
  const other = await host('127.0.0.2', (_req, res) => redirect(res, `${api.url}/final`));
  otherUrl = other.url;
  open.push(api, other);
  return { api, other };
}

describe('the token on redirect hops (item 18)', () => {
  it('a redirect back to the API origin from another host gets no token (transport.raw with the hop chain)', async () => {
    const { api, other } = await bounceSetup();
    const t = new Transport({ baseURL: api.url });
    t.tokens = { token: async () => TOKEN, renew: async () => undefined, userId: () => undefined };
    // follow by hand, as a download does: every hop is told the chain before it
    const hops: URL[] = [];
    let url = new URL(`${api.url}/start`);
    for (;;) {
      const res = await t.raw(url, { hops });
      const location = res.headers.location;
      await res.body.dump();
      if (res.statusCode !== 302 || typeof location !== 'string') break;
      hops.push(url);
      url = new URL(location, url);
    }
    await t.close();
    expect(api.seen.map((s) => [s.path, s.authorization])).toEqual([
      ['/start', `Bearer ${TOKEN}`],
      ['/final', undefined],
    ]);
    expect(other.seen).toEqual([{ path: '/bounce', authorization: undefined }]);
  });

  it('through a real download: the API hop has the token, the other host and the hop back do not', async () => {
    const { api, other } = await bounceSetup();
    client = new NemoClient({ baseURL: api.url, token: TOKEN });
    await client.render.download(`${api.url}/start`, join(tempDir(), 'a.mp4'));
    expect(api.seen.find((s) => s.path === '/start')?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(other.seen.every((s) => s.authorization === undefined)).toBe(true);
    expect(api.seen.find((s) => s.path === '/final')?.authorization).toBeUndefined();
  });

  it('a redirect that stays on the API origin keeps the token', async () => {
    const { api } = await bounceSetup();
    client = new NemoClient({ baseURL: api.url, token: TOKEN });
    await client.render.download(`${api.url}/same`, join(tempDir(), 'b.mp4'));
    expect(api.seen.map((s) => s.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('mayCarryToken: the API origin only, and only if every earlier hop was the API too', () => {
    const api = 'http://127.0.0.1:1';
    expect(mayCarryToken(api, new URL(`${api}/x`))).toBe(true);
    expect(mayCarryToken(api, new URL(`${api}/x`), [new URL(`${api}/a`)])).toBe(true);
    expect(mayCarryToken(api, new URL(`${api}/x`), [new URL('http://127.0.0.2:1/a')])).toBe(false);
    expect(mayCarryToken(api, new URL('http://127.0.0.2:1/x'))).toBe(false);
    expect(mayCarryToken(api, new URL('https://127.0.0.1:1/x'))).toBe(false);
  });
});

describe('link-local targets are refused (item 18)', () => {
  it('a redirect to 169.254.169.254 (cloud metadata): a usage error, and nothing is sent there', async () => {
    const other = await host('127.0.0.2', (_req, res) =>
      redirect(res, 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
    );
    open.push(other);
    client = new NemoClient({ baseURL: 'http://127.0.0.1:9', token: TOKEN });
    const err = await client.render
      .download(`${other.url}/go`, join(tempDir(), 'c.mp4'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalInputError);
    expect((err as LocalInputError).kind).toBe('usage');
    expect((err as Error).message).toMatch(/link-local address 169\.254\.169\.254/);
  });

  it('an API base URL on a link-local address (IPv4, IPv6, IPv4-mapped) fails before any request', async () => {
    for (const base of [
      'http://169.254.169.254',
      'http://[fe80::1]:8080',
      'http://[::ffff:169.254.169.254]',
    ]) {
      const c = new NemoClient({ baseURL: base, token: TOKEN, maxRetries: 0 });
      const err = await c.credits.get().catch((e: unknown) => e);
      await c.close();
      expect(err, base).toBeInstanceOf(LocalInputError);
      expect((err as LocalInputError).kind).toBe('usage');
    }
    expect(isLinkLocal(new URL('http://169.254.0.1'))).toBe(true);
    expect(isLinkLocal(new URL('http://[febf::1]'))).toBe(true);
    expect(isLinkLocal(new URL('http://169.255.0.1'))).toBe(false);
    expect(isLinkLocal(new URL('http://[fec0::1]'))).toBe(false);
    expect(isLinkLocal(new URL('http://127.0.0.1'))).toBe(false);
  });
});

describe('--debug lines hide URL credentials and signatures (item 17)', () => {
  it('userinfo, X-Amz-Signature, X-Goog-Signature, sig, signature, access_token, key and code are redacted', async () => {
    const secrets = [
      'hunter2pw',
      'amzSIG123',
      'googSIG456',
      'sigVAL789',
      'sigFULL000',
      'accTOK111',
      'keyVAL222',
      'codeVAL333',
    ];
    const cdn = await host('127.0.0.2', (_req, res) => media(res));
    open.push(cdn);
    const signed = `http://alice:hunter2pw@${cdn.url.slice(7)}/v.mp4?X-Amz-Signature=amzSIG123&X-Goog-Signature=googSIG456&sig=sigVAL789&signature=sigFULL000&access_token=accTOK111&key=keyVAL222&code=codeVAL333&keep=visible`;
    const lines: string[] = [];
    client = new NemoClient({ baseURL: 'http://127.0.0.1:9', token: TOKEN, logger: (l) => lines.push(l) });
    await client.render.download(signed, join(tempDir(), 'd.mp4'));
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('\n');
    expect(text).toContain('keep=visible');
    expect(text).toContain('X-Amz-Signature=***');
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
