import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, tempDir } from '../e2e/helpers.js';

/** Runs the built CLI with a module-resolution hook that records every module it loads. */
function loadedModules(args: string[]): { urls: string[]; code: number | null } {
  const dir = tempDir('nemo-modules-');
  const log = join(dir, 'modules.log');
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(process.env.NEMO_MODULE_LOG, r.url + '\\n'); return r; }`;
  writeFileSync(join(dir, 'hook.mjs'), hook);
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});\n`,
  );
  writeFileSync(log, '');
  const r = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, BIN, ...args],
    {
      env: { ...process.env, NEMO_MODULE_LOG: log, NEMO_CONFIG_DIR: dir },
      encoding: 'utf8',
    },
  );
  return { urls: readFileSync(log, 'utf8').split('\n').filter(Boolean), code: r.status };
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
    const { urls } = loadedModules(['config', 'list']);
    expect(urls.some((u) => /node_modules\/conf\//.test(u))).toBe(true);
  });
});
