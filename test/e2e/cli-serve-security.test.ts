import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, nemo, testEnv } from './helpers.js';

/** `nemo serve` as a user starts it: what it says about where it listens, and its admin switch. */

beforeAll(() => ensureBuilt(), 300_000); // a loaded 2-core machine builds slowly

/** Starts `nemo serve …`, waits for the URL on stdout and for stderr to match `until`. */
async function serve(args: string[], env: Record<string, string> = {}, until = /Ctrl-C to stop/) {
  const run = nemo(['serve', '--port', '0', ...args], { env: testEnv(env) });
  let stdout = '';
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (stdout.includes('\n') && until.test(stderr)) resolve();
    };
    run.child.stdout?.on('data', (d) => {
      stdout += d;
      check();
    });
    run.child.stderr?.on('data', (d) => {
      stderr += d;
      check();
    });
    run.child.on('close', (code) => reject(new Error(`nemo serve exited ${code}: ${stderr}`)));
  });
  const stop = async () => {
    run.child.kill('SIGINT');
    return run;
  };
  return { url: stdout.trim(), stderr, stop };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

describe('nemo serve: where it listens', () => {
  it('on 127.0.0.1 (default): that address in the banner, no warning', async () => {
    const s = await serve([]);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(s.url).port;
      expect(s.stderr).toContain(`listening on 127.0.0.1:${port}`);
      expect(s.stderr).not.toMatch(/warning/i);
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  });

  it('on 0.0.0.0: the real bound address and a warning (no TLS, test-grade auth) on stderr', async () => {
    const s = await serve(['--host', '0.0.0.0']);
    try {
      const port = new URL(s.url).port;
      expect(s.stderr).toContain(`listening on 0.0.0.0:${port}`);
      expect(s.stderr).toMatch(/warning: nemo serve is reachable from other machines on 0\.0\.0\.0:\d+/);
      expect(s.stderr).toMatch(/no TLS/);
      expect(s.stderr).toMatch(/test-grade auth/);
      expect((await get(`${s.url}/api/credits/balance/simple`)).status).toBe(401); // it does serve
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
    // The warning is said even under --quiet (the banner is not).
    const quiet = await serve(['--host', '0.0.0.0', '--quiet'], {}, /warning: .*no TLS/);
    try {
      expect(quiet.stderr).not.toMatch(/Ctrl-C to stop/);
    } finally {
      await quiet.stop();
    }
  });
});

describe('nemo serve --admin', () => {
  it('is off without the flag; with it, prints a per-run secret that the admin endpoints need', async () => {
    const off = await serve([]);
    try {
      expect((await get(`${off.url}/_nemo/stats`)).status).toBe(404);
      expect(off.stderr).not.toMatch(/X-Nemo-Admin/);
    } finally {
      await off.stop();
    }
    const on = await serve(['--admin']);
    try {
      const secret = /"X-Nemo-Admin: ([A-Za-z0-9_-]+)"/.exec(on.stderr)?.[1];
      expect(secret, on.stderr).toBeDefined();
      expect((await get(`${on.url}/_nemo/stats`)).status).toBe(401);
      const stats = await get(`${on.url}/_nemo/stats`, { 'x-nemo-admin': secret! });
      expect(stats.status).toBe(200);
      expect(JSON.parse(stats.text)).toMatchObject({ uploadsStored: 0, runSse: 0 });
      const port = new URL(on.url).port;
      const rebound = await get(`${on.url}/_nemo/stats`, {
        'x-nemo-admin': secret!,
        host: `evil.example:${port}`,
      });
      expect(rebound.status).toBe(421);
    } finally {
      expect((await on.stop()).code).toBe(0);
    }
  });

  it(`takes the secret from NEMO_SERVE_ADMIN_SECRET and does not print it`, async () => {
    const secret = 'secret-for-scripts-0123456789';
    const s = await serve(['--admin'], { NEMO_SERVE_ADMIN_SECRET: secret });
    try {
      expect(s.stderr).not.toContain(secret);
      expect(s.stderr).toMatch(/X-Nemo-Admin with the secret in NEMO_SERVE_ADMIN_SECRET/);
      expect((await get(`${s.url}/_nemo/faults`, { 'x-nemo-admin': secret })).status).toBe(200);
    } finally {
      await s.stop();
    }
    const short = await nemo(['serve', '--admin'], { env: testEnv({ NEMO_SERVE_ADMIN_SECRET: 'short' }) });
    expect(short.code).toBe(2);
  });
});
