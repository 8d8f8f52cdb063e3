import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import type { RecordedRequest, TestServer } from '../helpers/http.js';
import { nemoIn } from '../helpers/in-process.js';
import { BIN, clipIn, events, nemo, type RunResult, startSuite, tempDir, testEnv } from './helpers.js';
import { startProxy } from './proxy.js';

/**
 * Outputs under races and faults, with real processes: two `nemo export`s or two `nemo edit --local`s
 * into one -o, SIGHUP and kill -9 mid-download, a file-size limit, a trickling host. The renders are
 * real files registered with `nemo serve`; a real proxy in front of it serves (or holds) their bytes.
 */

let server: RunningServer;
let clip: string;
let clipB: string;

beforeAll(async () => {
  ({ server, clip } = await startSuite({ startCredits: 100_000 }));
  // a second render, different bytes (1 s: a few hundred KiB, more than the 40 000 the kill -9 case holds at)
  clipB = await clipIn(tempDir(), 'b.mp4', 1);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

/**
 * The API through a proxy whose render URLs point back at the proxy, so `onRender` decides how each
 * render download is answered (return false to pass it to `nemo serve` as it is).
 */
async function api(
  onRender: (rec: RecordedRequest, res: ServerResponse) => boolean | Promise<boolean>,
): Promise<TestServer> {
  let self = '';
  const proxy = await startProxy(server.url, {
    answer: (rec, res) => (rec.url.startsWith('/renders/') ? onRender(rec, res) : false),
    mapJson: (_rec, text) => text.split(`${server.url}/renders/`).join(`${self}/renders/`),
  });
  self = proxy.url;
  return proxy;
}

const renderBytes = (id: string, file: string) => ({ id, bytes: readFileSync(file) });

/** Resolves when `child`'s stdout has printed a line matching `re`. */
function waitFor(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const on = (d: Buffer): void => {
      seen += d;
      if (re.test(seen)) {
        child.stdout?.off('data', on);
        resolve();
      }
    };
    child.stdout?.on('data', on);
  });
}

const leftovers = (dir: string, keep: string[] = []): string[] =>
  readdirSync(dir).filter((f) => !keep.includes(f));

describe('one output, two writers (items 6, 7)', () => {
  it('two `nemo export`s into the same -o at once: one succeeds with a whole file, the other exits 2', async () => {
    const a = await server.registerRender(clip);
    const b = await server.registerRender(clipB);
    const files = [renderBytes(a.id, clip), renderBytes(b.id, clipB)];
    let arrived: (() => void)[] = [];
    // both downloads are answered only once both have started, in small interleaved pieces
    const proxy = await api(async (rec, res) => {
      await new Promise<void>((resolve) => {
        arrived.push(resolve);
        if (arrived.length === 2) for (const go of arrived.splice(0)) go();
      });
      const { bytes } = files.find((f) => rec.url.includes(f.id))!;
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      for (let off = 0; off < bytes.length; off += 8192) {
        if (!res.write(bytes.subarray(off, off + 8192))) await new Promise((r) => res.once('drain', r));
        await new Promise((r) => setTimeout(r, 3));
      }
      res.end();
      return true;
    });
    try {
      const dir = tempDir();
      const output = join(dir, 'same.mp4');
      const env = testEnv({ NEMO_API_URL: proxy.url });
      const runs = await Promise.all(
        [a.id, b.id].map((id) => nemo(['export', '--resume', id, '-o', output, '--json'], { env })),
      );
      arrived = [];
      const codes = runs.map((r) => r.code).sort();
      expect(codes, runs.map((r) => r.stderr).join('\n')).toEqual([0, 2]);
      const loser = runs.find((r) => r.code === 2) as RunResult;
      expect(events(loser.stdout).at(-1)).toMatchObject({
        type: 'error',
        code: 'output_exists',
        exitCode: 2,
      });
      expect(loser.stderr).toMatch(/already exists/);
      const got = readFileSync(output);
      const winner = runs.findIndex((r) => r.code === 0);
      expect(got.equals(files[winner].bytes), 'the file is the winner’s render, byte for byte').toBe(true);
      expect(leftovers(dir, ['same.mp4'])).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('two `nemo edit --local`s into the same -o: one exits 0, the other 2; the output is one whole render', async () => {
    const dir = tempDir();
    const output = join(dir, 'local.mp4');
    const env = testEnv();
    const run = (title: string) =>
      nemo(['edit', clip, `add title '${title}'`, '--local', '-o', output, '--json', '--quality', 'low'], {
        env,
      });
    const first = run('First');
    // hold the first past its checks (its plan is out) until the second is past them too
    await waitFor(first.child, /"local\.plan"/);
    first.child.kill('SIGSTOP');
    const second = run('Second');
    await waitFor(second.child, /"local\.plan"/);
    first.child.kill('SIGCONT');
    const runs = await Promise.all([first, second]);
    expect(runs.map((r) => r.code).sort(), runs.map((r) => r.stderr).join('\n')).toEqual([0, 2]);
    const loser = runs.find((r) => r.code === 2) as RunResult;
    expect(events(loser.stdout).at(-1)).toMatchObject({ type: 'error', code: 'output_exists', exitCode: 2 });
    const winner = events((runs.find((r) => r.code === 0) as RunResult).stdout).find(
      (e) => e.type === 'result',
    );
    expect(readFileSync(output).length).toBe(winner?.bytes);
    expect(leftovers(dir, ['local.mp4'])).toEqual([]);
  }, 60_000);
});

/** A render host that sends the first `head` bytes with the real validators, then holds the response. */
function holding(bytes: Buffer, head: number, validators: Record<string, string> = {}) {
  return (res: ServerResponse): true => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length, ...validators });
    res.write(bytes.subarray(0, head));
    return true;
  };
}

describe('interrupted downloads (item 12)', () => {
  it('SIGHUP mid-download: the export stops as interrupted (exit 130), no temp file is left', async () => {
    const r0 = await server.registerRender(clip);
    const proxy = await api((_rec, res) => holding(readFileSync(clip), 16 * 1024)(res));
    try {
      const dir = tempDir();
      const output = join(dir, 'hup.mp4');
      const run = nemo(['export', '--resume', r0.id, '-o', output, '--json'], {
        env: testEnv({ NEMO_API_URL: proxy.url }),
      });
      await waitFor(run.child, /"download\.progress"[^\n]*"receivedBytes":[1-9]/);
      run.child.kill('SIGHUP');
      const r = await run;
      expect(r.code, r.stderr).toBe(130);
      expect(events(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'interrupted' });
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('after kill -9 the rerun resumes the same render from where it stopped (Range + If-Range), byte-identical', async () => {
    const r0 = await server.registerRender(clipB);
    const bytes = readFileSync(clipB);
    const head = await fetch(r0.url, { headers: { range: 'bytes=0-0' } });
    await head.arrayBuffer();
    const validators = {
      etag: head.headers.get('etag') as string,
      'last-modified': head.headers.get('last-modified') as string,
    };
    let downloads = 0;
    const proxy = await api((_rec, res) =>
      ++downloads === 1 ? holding(bytes, 40_000, validators)(res) : false,
    );
    try {
      const dir = tempDir();
      const output = join(dir, 'resumed.mp4');
      const env = testEnv({ NEMO_API_URL: proxy.url });
      const killed = nemo(['export', '--resume', r0.id, '-o', output, '--json'], { env });
      await waitFor(killed.child, /"download\.progress"[^\n]*"receivedBytes":40000/);
      killed.child.kill('SIGKILL');
      await killed;
      expect(readdirSync(dir).sort()).toEqual([
        expect.stringMatching(/\.json$/),
        expect.stringMatching(/\.part$/),
      ]);
      const r = await nemo(['export', '--resume', r0.id, '-o', output, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const renders = proxy.requests.filter((q) => q.url.startsWith('/renders/'));
      expect(renders).toHaveLength(2);
      expect(renders[1].headers.range).toBe('bytes=40000-');
      expect(renders[1].headers['if-range']).toBe(validators.etag);
      expect(readFileSync(output).equals(bytes)).toBe(true);
      expect(readdirSync(dir)).toEqual(['resumed.mp4']);
    } finally {
      await proxy.close();
    }
  });
});

describe('local write errors and slow hosts (items 9, 13)', () => {
  it('a file-size limit (ulimit -f → EFBIG): exit 1 naming the output and the cause, not a network error; no temp left', async () => {
    const r0 = await server.registerRender(clipB);
    const size = readFileSync(clipB).length;
    const proxy = await api(() => false);
    try {
      const dir = tempDir();
      const output = join(dir, 'limited.mp4');
      const limitKiB = Math.floor(size / 1024 / 2);
      expect(limitKiB).toBeGreaterThan(8);
      // Node ignores SIGXFSZ, so the write past the limit fails with EFBIG
      const child = spawn(
        'bash',
        [
          '-c',
          `ulimit -f ${limitKiB}; exec "$0" "$@"`,
          process.execPath,
          BIN,
          'export',
          '--resume',
          r0.id,
          '-o',
          output,
        ],
        { env: testEnv({ NEMO_API_URL: proxy.url }), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(1);
      expect(stderr).toContain(`Cannot write ${output}: file too large`);
      expect(stderr).toContain('(EFBIG)');
      expect(stderr).not.toMatch(/Connection failed|network/);
      expect(proxy.requests.filter((q) => q.url.startsWith('/renders/'))).toHaveLength(1);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a stalled host: progress shows the stall, then exit 3 naming it; --download-timeout bounds a trickle', async () => {
    const r0 = await server.registerRender(clip);
    const bytes = readFileSync(clip);
    const proxy = await api((_rec, res) => holding(bytes, 1000)(res));
    try {
      const dir = tempDir();
      // in-process (the stall and the deadline are the download's, not the process's)
      const env = testEnv({ NEMO_API_URL: proxy.url, NEMO_DOWNLOAD_STALL_MS: '400' });
      const r = await nemoIn(['export', '--resume', r0.id, '-o', join(dir, 's.mp4'), '--json'], { env });
      expect(r.code, r.stderr).toBe(3);
      const evs = events(r.stdout);
      expect(evs.some((e) => e.type === 'download.progress' && typeof e.stalledMs === 'number')).toBe(true);
      expect(evs.at(-1)).toMatchObject({ type: 'error', code: 'download_stalled', exitCode: 3 });
      expect(r.stderr).toMatch(/Download stalled: no data for [\d.]+ s \(at 1000 of \d+ bytes\)/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
    // a trickle: a byte every 50 ms never stalls, the overall deadline stops it
    const trickle = await api((_rec, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(bytes.subarray(at, ++at));
      }, 50);
      return true;
    });
    try {
      const dir = tempDir();
      const r = await nemoIn(
        ['export', '--resume', r0.id, '-o', join(dir, 't.mp4'), '--download-timeout', '1.5', '--json'],
        { env: testEnv({ NEMO_API_URL: trickle.url }) },
      );
      expect(r.code, r.stderr).toBe(3);
      expect(events(r.stdout).at(-1)).toMatchObject({
        type: 'error',
        code: 'download_timeout',
        hint: expect.stringContaining('--download-timeout'),
      });
      expect(r.stderr).toMatch(/Download did not finish within 1\.5 s/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await trickle.close();
    }
  });
});
