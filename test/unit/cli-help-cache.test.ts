import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HELP_FILE, renderHelp } from '../../src/cli/help-text.js';
import { buildProgram } from '../../src/cli/program.js';
import { BIN, ensureBuilt } from '../e2e/helpers.js';

function nemo(args: string[]): { stdout: string; status: number | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, status: r.status };
}

beforeAll(ensureBuilt, 120_000);

describe('the build-time top-level help (dist/help.txt)', () => {
  it('is exactly what the live commander program prints (`nemo help` always goes through commander)', () => {
    const live = nemo(['help']);
    expect(live.status).toBe(0);
    expect(live.stdout).toContain('Examples:');
    const cached = readFileSync(new URL('../../dist/help.txt', import.meta.url), 'utf8');
    expect(cached).toBe(live.stdout);
    expect(nemo(['--help'])).toEqual({ stdout: live.stdout, status: 0 });
    expect(nemo(['-h'])).toEqual({ stdout: live.stdout, status: 0 });
  });

  it('renders from the source program what the built CLI prints', () => {
    expect(renderHelp(buildProgram())).toBe(nemo(['help']).stdout);
    expect(HELP_FILE.pathname.endsWith('/dist/help.txt')).toBe(true);
  });
});
