import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, nemo, tempDir, testEnv } from '../e2e/helpers.js';
import { sendJson, startConnectProxy, startTestServer, type TestServer } from '../helpers/http.js';

/**
 * A preload that records every module the CLI loads: ESM through a resolution hook, and at exit every
 * CommonJS file in require's cache (undici is CommonJS, loaded with createRequire).
 */
function moduleLogger(): { dir: string; log: string; importArg: string } {
  const dir = tempDir('nemo-modules-');
  const log = join(dir, 'modules.log');
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(process.env.NEMO_MODULE_LOG, r.url + '\\n'); return r; }`;
  writeFileSync(join(dir, 'hook.mjs'), hook);
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});
const cache = createRequire(import.meta.url)('node:module')._cache;
process.on('exit', () => appendFileSync(process.env.NEMO_MODULE_LOG, Object.keys(cache).map((f) => 'cjs:' + f + '\\n').join('')));
`,
  );
  writeFileSync(log, '');
  return { dir, log, importArg: pathToFileURL(join(dir, 'register.mjs')).href };
}

function readLog(log: string): string[] {
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** Runs the built CLI with the module logger. */
function loadedModules(args: string[]): { urls: string[]; code: number | null } {
  const { dir, log, importArg } = moduleLogger();
  const r = spawnSync(process.execPath, ['--import', importArg, BIN, ...args], {
    env: { ...process.env, NEMO_MODULE_LOG: log, NEMO_CONFIG_DIR: dir },
    encoding: 'utf8',
  });
  return { urls: readLog(log), code: r.status };
}

const HEAVY =
  /node_modules\/(undici|zod|conf|ora|chalk|eventsource-parser)\/|dist\/(api|engine|server|config)\//;

beforeAll(ensureBuilt, 120_000);

describe('start-up stays light', () => {
  it.each([['--help'], ['edit', '--help'], ['help', 'exit-codes'], ['--version']])(
    'nemo %s loads no heavy module',
    (...args) => {
      const { urls, code } = loadedModules(args);
      expect(code).toBe(0);
      expect(urls.length).toBeGreaterThan(0);
      expect(urls.filter((u) => HEAVY.test(u))).toEqual([]);
    },
  );

  it('a lone --help is answered from the build-time text, without loading commander', () => {
    const { urls, code } = loadedModules(['--help']);
    expect(code).toBe(0);
    expect(urls.filter((u) => /node_modules\/commander\/|dist\/cli\//.test(u))).toEqual([]);
    expect(loadedModules(['help']).urls.some((u) => /node_modules\/commander\//.test(u))).toBe(true);
  });

  it('the hook does see heavy modules when a command needs them (the check can fail)', () => {
    const { urls } = loadedModules(['config', 'set', 'quality', 'medium']);
    expect(urls.some((u) => /node_modules\/conf\//.test(u))).toBe(true);
  });

  it('a command that only reads the profile does not load conf (it writes through conf)', () => {
    const { urls, code } = loadedModules(['config', 'list']);
    expect(code).toBe(0);
    expect(urls.some((u) => /dist\/config\/store\.js$/.test(u))).toBe(true);
    expect(urls.filter((u) => /node_modules\/(conf|ajv)\//.test(u))).toEqual([]);
  });
});

describe('cloud commands load only the parts of undici they use', () => {
  const UNDICI_INDEX = /node_modules\/undici\/index\.js$/;
  const UNDICI_FETCH = /node_modules\/undici\/lib\/web\//;

  async function credits(extraEnv: Record<string, string>): Promise<{ urls: string[]; code: number | null }> {
    const { dir, log, importArg } = moduleLogger();
    const r = await nemo(['credits', '--json'], {
      env: testEnv({
        NEMO_MODULE_LOG: log,
        NEMO_CONFIG_DIR: join(dir, 'cfg'),
        NEMO_TOKEN: 'nmv_usr_test',
        NEMO_API_URL: server.url,
        NODE_OPTIONS: `--import ${importArg}`,
        ...extraEnv,
      }),
    });
    if (r.code !== 0) throw new Error(`nemo credits exited ${r.code}: ${r.stderr}`);
    return { urls: readLog(log), code: r.code };
  }

  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer((_req, res) => sendJson(res, 200, { code: 0, data: { available: 7 } }));
  });
  afterAll(() => server.close());

  it('without a proxy: the agent and the request API only; no undici index, fetch or zod', async () => {
    const { urls } = await credits({});
    expect(urls.some((u) => /node_modules\/undici\/lib\/dispatcher\/agent\.js$/.test(u))).toBe(true);
    expect(urls.filter((u) => UNDICI_INDEX.test(u) || UNDICI_FETCH.test(u))).toEqual([]);
    expect(urls.filter((u) => /node_modules\/(zod|chalk)\//.test(u))).toEqual([]);
    // NEMO_TOKEN: no client id to create, nothing written, so conf is not loaded either
    expect(urls.filter((u) => /node_modules\/conf\//.test(u))).toEqual([]);
  });

  it('with HTTP_PROXY: the whole package (its CONNECT tunnel needs the API on Dispatcher), through the proxy', async () => {
    const proxy = await startConnectProxy();
    try {
      const { urls } = await credits({ HTTP_PROXY: proxy.url, NO_PROXY: '' });
      expect(urls.some((u) => UNDICI_INDEX.test(u))).toBe(true);
      expect(proxy.connects).toEqual([`127.0.0.1:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });
});
