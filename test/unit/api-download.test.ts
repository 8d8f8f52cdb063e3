import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, LocalInputError } from '../../src/api/errors.js';
import { loopback, sendJson, type startTestServer } from '../helpers/http.js';

// an MP4's first box (ftyp), then noise: the download checks that what it saves starts like a video
const FILE = Buffer.concat([Buffer.from('000000206674797069736f6d', 'hex'), randomBytes(1024 * 1024 + 111)]);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nemo-api-dl-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const { serve, client: make } = loopback();
const client = (url: string) => make(url, { token: 'nmv_usr_secret' });
let n = 0;
const out = () => path.join(dir, `out-${++n}.mp4`);

/** Serves FILE with Range support; the first `cuts` responses stop half-way and destroy the socket. */
function fileHandler(
  opts: { cuts?: number; ignoreRange?: boolean } = {},
): Parameters<typeof startTestServer>[0] {
  let cuts = opts.cuts ?? 0;
  return (req, res) => {
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const start = range && !opts.ignoreRange ? Number(range[1]) : 0;
    const body = FILE.subarray(start);
    const headers: Record<string, string | number> = {
      'content-type': 'video/mp4',
      'content-length': body.length,
    };
    if (start > 0) headers['content-range'] = `bytes ${start}-${FILE.length - 1}/${FILE.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (cuts > 0) {
      cuts -= 1;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () =>
        setTimeout(() => res.socket?.destroy(), 20),
      );
      return;
    }
    res.end(body);
  };
}

describe('download', () => {
  it('resumes after a cut with Range and ends byte-identical, renamed atomically with mode 0644', async () => {
    const s = await serve(fileHandler({ cuts: 1 }));
    const target = out();
    const progress: number[] = [];
    const result = await client(s.url).render.download(`${s.url}/file.mp4`, target, {
      onProgress: (p) => progress.push(p.receivedBytes),
    });
    expect((await readFile(target)).equals(FILE)).toBe(true);
    expect(result).toMatchObject({ bytes: FILE.length, resumes: 1 });
    expect(s.requests[1].headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(String(s.requests[1].headers.range))![0])).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(FILE.length);
    await expect(stat(`${target}.part`)).rejects.toThrow();
    expect((await stat(target)).mode & 0o777).toBe(0o644 & ~process.umask());
  });
  it('restarts from zero when the server answers a Range request with 200', async () => {
    const s = await serve(fileHandler({ cuts: 1, ignoreRange: true }));
    const target = out();
    await client(s.url).render.download(`${s.url}/f.mp4`, target);
    expect((await readFile(target)).equals(FILE)).toBe(true);
  });
  it('gives up after maxResumes cuts and leaves no partial file', async () => {
    const s = await serve(fileHandler({ cuts: 10 }));
    const target = out();
    const err = await client(s.url)
      .render.download(`${s.url}/f.mp4`, target, { maxResumes: 2 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    await expect(stat(`${target}.part`)).rejects.toThrow();
    await expect(stat(target)).rejects.toThrow();
  });
  it('never sends the bearer token to another origin, following redirects by hand', async () => {
    const cdn = await serve(fileHandler());
    const api = await serve((_req, res) => {
      res.writeHead(302, { location: `${cdn.url}/render.mp4` });
      res.end();
    });
    const target = out();
    await client(api.url).render.download('render_abc', target);
    expect(api.requests[0].url).toBe('/api/render/proxy/render_abc/download');
    expect(api.requests[0].headers.authorization).toBe('Bearer nmv_usr_secret');
    expect(cdn.requests[0].headers.authorization).toBeUndefined();
    expect(cdn.requests[0].headers['x-skill-source']).toBeUndefined();
    expect((await readFile(target)).equals(FILE)).toBe(true);
    // A direct URL on another origin: no token either.
    await client(api.url).render.download(`${cdn.url}/direct.mp4`, out());
    expect(cdn.requests[1].headers.authorization).toBeUndefined();
  });
  it('follows JSON {output:{url}} from the fallback endpoint', async () => {
    const cdn = await serve(fileHandler());
    const api = await serve((_req, res) =>
      sendJson(res, 200, { code: 0, data: { output: { url: `${cdn.url}/o.mp4` } } }),
    );
    const target = out();
    await client(api.url).render.download('render_json', target);
    expect((await readFile(target)).equals(FILE)).toBe(true);
  });
  it('stops after 5 redirects', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    await expect(client(s.url).render.download(`${s.url}/start`, out())).rejects.toThrow(/redirects/);
    expect(s.requests).toHaveLength(6);
  });
  it('refuses non-http(s) URLs, including redirects to them, before writing anything', async () => {
    const c = client('http://127.0.0.1:9');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x/y.mp4', 'data:video/mp4,AAAA']) {
      await expect(c.render.download(bad, out())).rejects.toBeInstanceOf(LocalInputError);
    }
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    });
    await expect(client(s.url).render.download(`${s.url}/x`, out())).rejects.toBeInstanceOf(LocalInputError);
  });
  it('does not overwrite an existing file unless force', async () => {
    const s = await serve(fileHandler());
    const target = out();
    await writeFile(target, 'keep me');
    await expect(client(s.url).render.download(`${s.url}/f.mp4`, target)).rejects.toBeInstanceOf(
      LocalInputError,
    );
    expect(await readFile(target, 'utf8')).toBe('keep me');
    expect(s.requests).toHaveLength(0);
    await client(s.url).render.download(`${s.url}/f.mp4`, target, { force: true });
    expect((await readFile(target)).equals(FILE)).toBe(true);
  });
  it('an HTTP error is a typed error (404 → ApiError, not a file)', async () => {
    const s = await serve((_req, res) => sendJson(res, 404, { success: false, error: 'render not found' }));
    const target = out();
    await expect(client(s.url).render.download(`${s.url}/missing.mp4`, target)).rejects.toThrow(
      /render not found/,
    );
    await expect(stat(target)).rejects.toThrow();
  });
});
