/**
 * The capability cache across real processes: the first local command probes what ffmpeg can do (five
 * runs) and keeps it in NEMO_CACHE_DIR (file 0600, dir 0700); the next process does not run them; a
 * replaced binary (another mtime) is probed again. The ffmpeg is a wrapper that logs its argv.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../helpers/media.js';
import { ensureBuilt, nemo, tempDir, testEnv } from './helpers.js';

let dir: string;
let clip: string;
let wrapper: string;
let log: string;
let cache: string;

const realFfmpeg = (): string => {
  for (const d of (process.env.PATH ?? '').split(':')) {
    try {
      if (statSync(join(d, 'ffmpeg')).isFile()) return join(d, 'ffmpeg');
    } catch {}
  }
  throw new Error('no ffmpeg on PATH');
};

/** The capability probes (`-filters`, `-encoders`, …) the wrapper saw. */
const probes = (): string[] =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /^-hide_banner (-filters|-encoders|-version|-h filter=)/.test(l));

const plan = () =>
  nemo(['edit', clip, 'cut the first 2 seconds', '--local', '--dry-run'], {
    env: testEnv({ FFMPEG_PATH: wrapper, NEMO_CACHE_DIR: cache, NEMO_API_URL: 'http://127.0.0.1:9' }),
  });

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('nemo-e2e-capcache-');
  clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 4 });
  log = join(dir, 'argv.log');
  writeFileSync(log, '');
  wrapper = join(dir, 'bin', 'ffmpeg');
  mkdirSync(join(dir, 'bin'));
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realFfmpeg()}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  cache = join(dir, 'cache', 'nemo');
}, 120_000);

describe('the ffmpeg capability cache', () => {
  it('is written by the first process and spares the next one the five probe runs', async () => {
    const first = await plan();
    expect(first.code, first.stderr).toBe(0);
    expect(probes()).toHaveLength(5);
    const file = join(cache, 'ffmpeg-capabilities.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual([wrapper]);

    const second = await plan();
    expect(second.code, second.stderr).toBe(0);
    expect(probes()).toHaveLength(5);
    // the same plan from the cached capabilities as from the probed ones
    expect(second.stdout).toBe(first.stdout);
  });

  it('probes a replaced binary again (another mtime)', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(wrapper, later, later);
    const r = await plan();
    expect(r.code, r.stderr).toBe(0);
    expect(probes()).toHaveLength(10);
  });

  it('a cache file that is not JSON is only a miss: probed and rewritten', async () => {
    writeFileSync(join(cache, 'ffmpeg-capabilities.json'), 'not json');
    const r = await plan();
    expect(r.code, r.stderr).toBe(0);
    expect(probes()).toHaveLength(15);
    expect(Object.keys(JSON.parse(readFileSync(join(cache, 'ffmpeg-capabilities.json'), 'utf8')))).toEqual([
      wrapper,
    ]);
  });
});
