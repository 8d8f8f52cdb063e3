import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, nemo, ROOT, tempDir, testEnv } from '../e2e/helpers.js';
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

/**
 * What the CLI loaded, as source paths: the files it read from disk, and for each chunk of the bundle
 * (dist/bin, see scripts/bundle.mjs) the sources and packages esbuild put into it (its metafile).
 */
function readLog(log: string): string[] {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'bin', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const out: string[] = [];
  for (const u of urls) {
    out.push(u);
    const m = /\/(dist\/bin\/[^/]+\.js)$/.exec(u);
    const chunk = m?.[1] ? meta.outputs[m[1]] : undefined;
    if (chunk) for (const input of Object.keys(chunk.inputs)) out.push(`bundled:${input}`);
  }
  return out;
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
  /node_modules\/(undici|zod|conf|ora|chalk|eventsource-parser)\/|(dist|src)\/(api|engine|server|config)\//;

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
    expect(urls.filter((u) => /node_modules\/commander\/|dist\/(cli|bin)\/|src\/cli\//.test(u))).toEqual([]);
    expect(loadedModules(['help']).urls.some((u) => /node_modules\/commander\//.test(u))).toBe(true);
  });

  it('the hook does see heavy modules when a command needs them (the check can fail)', () => {
    const { urls } = loadedModules(['config', 'set', 'quality', 'medium']);
    expect(urls.some((u) => HEAVY.test(u))).toBe(true);
    expect(urls.some((u) => /src\/config\/conf-file\.ts$/.test(u))).toBe(true);
  });

  it('config commands load no config package (nemo writes its JSON files itself, atomically)', () => {
    for (const args of [
      ['config', 'list'],
      ['config', 'set', 'quality', 'low'],
    ]) {
      const { urls, code } = loadedModules(args);
      expect(code).toBe(0);
      expect(urls.some((u) => /src\/config\/store\.ts$/.test(u))).toBe(true);
      expect(urls.filter((u) => /node_modules\/(conf|ajv|atomically|when-exit)\//.test(u))).toEqual([]);
    }
  });
});

describe('cloud commands load undici from the bundle, through its public entry', () => {
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

  it('without a proxy: undici comes bundled (no file of it read from node_modules), no zod, chalk or conf', async () => {
    const { urls } = await credits({});
    expect(urls.some((u) => /^bundled:node_modules\/undici\/index\.js$/.test(u))).toBe(true);
    expect(urls.filter((u) => /^(file|cjs):.*node_modules\/undici\//.test(u))).toEqual([]);
    expect(urls.filter((u) => /node_modules\/(zod|chalk)\//.test(u))).toEqual([]);
    // NEMO_TOKEN: no client id to create, nothing written, so conf is not loaded either
    expect(urls.filter((u) => /node_modules\/conf\//.test(u))).toEqual([]);
  });

  it('with HTTP_PROXY: through the proxy (EnvHttpProxyAgent, CONNECT)', async () => {
    const proxy = await startConnectProxy();
    try {
      await credits({ HTTP_PROXY: proxy.url, NO_PROXY: '' });
      expect(proxy.connects).toEqual([`127.0.0.1:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });
});
