import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NEMO_BIN } from './parts.js';

let seq = 0;

/** The environment for one `nemo` CLI process: a fresh NEMO_CONFIG_DIR, no TTY behaviour, no colour. */
export function nemoEnv(tmpDir, extra = {}) {
  const configDir = join(tmpDir, `nemo-config-${++seq}`);
  mkdirSync(configDir, { recursive: true });
  const env = { ...process.env, NEMO_CONFIG_DIR: configDir, CI: '1', NO_COLOR: '1', ...extra };
  delete env.NEMO_DEBUG;
  return env;
}

/** True when `nemo <command> --help` lists the option (e.g. '--session'). */
export function cliHasOption(command, option) {
  const r = spawnSync(process.execPath, [NEMO_BIN, command, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  return r.status === 0 && r.stdout.includes(option);
}

/** Parses NDJSON stdout; lines that are not JSON are skipped. */
export function parseNdjson(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {}
  }
  return out;
}
