import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, LocalInputError, TimeoutError } from '../../src/api/errors.js';
import { LocalIoError, OutputExistsError } from '../../src/base/atomic-output.js';
import { loopback } from '../helpers/http.js';

/** An MP4's first box, then noise: what a render looks like to the magic-byte check. */
const video = (size: number): Buffer =>
  Buffer.concat([Buffer.from('000000206674797069736f6d', 'hex'), randomBytes(size - 12)]);

const { serve, client: make } = loopback();
const client = (url: string, o: { maxRetries?: number } = {}) => make(url, { token: 'nmv_usr_secret', ...o });
const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'nemo-dl-safety-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Mounts a real tmpfs (root only); undefined with the reason when mounting is not permitted. */
function tmpfs(options: string): { dir: string; unmount(): void } | { skip: string } {
  const dir = freshDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}` };
  }
  return { dir, unmount: () => execFileSync('umount', [dir]) };
}

describe('the output: nothing spliced, nothing replaced (items 6, 10)', () => {
  it('two downloads to the same path at once: one publishes a whole file, the other is OutputExistsError', async () => {
    const a = video(600_000);
    const b = video(900_000);
    let waiting: (() => void)[] = [];
    // both requests are answered only once both have arrived, in 64 KiB pieces, interleaved
    const s = await serve(async (req, res) => {
      const body = req.url === '/a.mp4' ? a : b;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) {
          for (const w of waiting) w();
          waiting = [];
        }
      });
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
      for (let off = 0; off < body.length; off += 65536) {
        res.write(body.subarray(off, off + 65536));
        await new Promise((r) => setTimeout(r, 2));
      }
      res.end();
    });
    const dir = freshDir();
    const target = path.join(dir, 'same.mp4');
    const c = client(s.url);
    const results = await Promise.allSettled([
      c.render.download(`${s.url}/a.mp4`, target),
      c.render.download(`${s.url}/b.mp4`, target),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toBeInstanceOf(OutputExistsError);
    expect(failed[0].reason).toMatchObject({ kind: 'usage', code: 'output_exists' });
    const got = readFileSync(target);
    expect(got.equals(a) || got.equals(b), 'the file is one download, whole').toBe(true);
    expect(readdirSync(dir)).toEqual(['same.mp4']);
  });

  /** Downloads a 200 answer holding an HTML page served as `contentType`; the error and the folder. */
  async function downloadPage(contentType: string): Promise<{ err: ApiError; dir: string }> {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': contentType });
      res.end('<html>Access denied</html>');
    });
    const dir = freshDir();
    const err = await client(s.url)
      .render.download(`${s.url}/r.mp4`, path.join(dir, 'r.mp4'))
      .catch((e) => e);
    return { err, dir };
  }

  it('an HTML page served with 200 is not saved as the video (Content-Type)', async () => {
    const { err, dir } = await downloadPage('text/html; charset=utf-8');
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/text\/html, not a video/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a page served as video/mp4 is caught by its first bytes; nothing is kept', async () => {
    const { err, dir } = await downloadPage('video/mp4');
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/is not a video \(26 bytes of video\/mp4, starting "<html>Access"\)/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('local I/O errors are not network errors (items 8, 9)', () => {
  it('a full disk (ENOSPC on a 1 MiB tmpfs): LocalIoError naming the path, one request, body dropped, no temp left', async (ctx) => {
    const fs = tmpfs('size=1m');
    if ('skip' in fs) return ctx.skip(fs.skip);
    try {
      let closed = false;
      const s = await serve((_req, res) => {
        res.on('close', () => {
          closed = true;
        });
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 3 * 1024 * 1024 });
        res.end(video(3 * 1024 * 1024));
      });
      const c = client(s.url);
      const target = path.join(fs.dir, 'big.mp4');
      const err = await c.render.download(`${s.url}/big.mp4`, target).catch((e) => e);
      expect(err).toBeInstanceOf(LocalIoError);
      expect(err).toMatchObject({ kind: 'local_io', errno: 'ENOSPC' });
      expect(err.message).toBe(`Cannot write ${target}: no space left on the device (ENOSPC)`);
      expect(s.requests).toHaveLength(1); // no resumes, no retries
      expect(readdirSync(fs.dir)).toEqual([]);
      // the body was destroyed: the client closes at once instead of waiting on an unread response
      await c.close();
      expect(closed).toBe(true);
    } finally {
      fs.unmount();
    }
  });

  it('a read-only output directory (EROFS): LocalIoError before anything is requested', async (ctx) => {
    const fs = tmpfs('ro,size=1m');
    if ('skip' in fs) return ctx.skip(fs.skip);
    try {
      const s = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.end(video(1000));
      });
      const target = path.join(fs.dir, 'x.mp4');
      const err = await client(s.url)
        .render.download(`${s.url}/x.mp4`, target)
        .catch((e) => e);
      expect(err).toBeInstanceOf(LocalIoError);
      expect(err.message).toBe(`Cannot write ${target}: read-only file system (EROFS)`);
      expect(s.requests).toHaveLength(0);
    } finally {
      fs.unmount();
    }
  });
});

/** A server that sends the head of a video, then one byte every `everyMs` (or nothing: `everyMs` 0). */
async function trickle(
  size: number,
  everyMs: number,
): Promise<{ url: string; server: Server; requests: number }> {
  const body = video(size);
  const state = { url: '', server: undefined as unknown as Server, requests: 0 };
  state.server = createServer((_req, res) => {
    state.requests += 1;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
    res.write(body.subarray(0, 100));
    if (everyMs === 0) return;
    let at = 100;
    const timer = setInterval(() => {
      if (res.destroyed || at >= size) return clearInterval(timer);
      res.write(body.subarray(at, at + 1));
      at += 1;
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}
const stop = (s: { server: Server }) =>
  new Promise<void>((r) => {
    s.server.closeAllConnections();
    s.server.close(() => r());
  });

describe('time bounds (item 13)', () => {
  it('a stall (no byte for the stall timeout) is resumed, reported in progress, then a transient error naming it', async () => {
    const t = await trickle(10_000, 0);
    try {
      const stalls: number[] = [];
      const dir = freshDir();
      const err = await client(t.url)
        .render.download(`${t.url}/s.mp4`, path.join(dir, 's.mp4'), {
          stallTimeoutMs: 300,
          maxResumes: 1,
          onProgress: (p) => {
            if (p.stalledMs !== undefined) stalls.push(p.stalledMs);
          },
        })
        .catch((e) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err).toMatchObject({ kind: 'transient', code: 'download_stalled' });
      expect(err.message).toMatch(/^Download stalled: no data for [\d.]+ s \(at 100 of 10000 bytes\)$/);
      // the first try and one resume (under load a resume's own wait for headers may stall and be retried)
      expect(t.requests).toBeGreaterThanOrEqual(2);
      expect(stalls.length).toBeGreaterThan(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await stop(t);
    }
  });

  it('a trickle (1 byte per 20 ms, never a stall) is stopped by the overall deadline', async () => {
    const t = await trickle(1_000_000, 20);
    try {
      const dir = freshDir();
      const err = await client(t.url)
        .render.download(`${t.url}/slow.mp4`, path.join(dir, 'slow.mp4'), {
          timeoutMs: 600,
          stallTimeoutMs: 5_000,
        })
        .catch((e) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(err).toMatchObject({ kind: 'transient', code: 'download_timeout' });
      expect(err.message).toBe('Download did not finish within 0.6 s');
      expect(t.requests).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await stop(t);
    }
  });
});

describe('where the token goes (item 18)', () => {
  it('a redirect back to the API from another host carries no token; the API asked directly does', async () => {
    // two real loopback hosts: the API on 127.0.0.1, a foreign host on 127.0.0.2
    const api = await serve((req, res) => {
      if (req.url?.startsWith('/api/render/proxy/')) {
        res.writeHead(302, { location: `http://127.0.0.2:${foreignPort}/hop` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.end(video(5000));
    });
    const seen: (string | undefined)[] = [];
    const foreign = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(302, { location: `${api.url}/back.mp4` });
      res.end();
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.2', r));
    const foreignPort = (foreign.address() as AddressInfo).port;
    try {
      const dir = freshDir();
      await client(api.url).render.download('render_abc', path.join(dir, 'o.mp4'));
      expect(api.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ['/api/render/proxy/render_abc/download', 'Bearer nmv_usr_secret'],
        ['/back.mp4', undefined],
      ]);
      expect(seen).toEqual([undefined]);
    } finally {
      foreign.closeAllConnections();
      await new Promise((r) => foreign.close(r));
    }
  });

  it('render URLs at link-local addresses are refused before connecting, also as a redirect target', async () => {
    const dir = freshDir();
    for (const bad of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/x.mp4']) {
      const err = await client('http://127.0.0.1:9')
        .render.download(bad, path.join(dir, 'x.mp4'))
        .catch((e) => e);
      expect(err, bad).toBeInstanceOf(LocalInputError);
    }
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
      res.end();
    });
    const err = await client(s.url)
      .render.download(`${s.url}/r.mp4`, path.join(dir, 'y.mp4'))
      .catch((e) => e);
    expect(err).toBeInstanceOf(LocalInputError);
    expect(err.message).toMatch(/link-local/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
