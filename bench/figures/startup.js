import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NEMO_BIN, ROOT } from '../lib/parts.js';
import { pendingRow } from '../lib/report.js';
import { ratio, summarize } from '../lib/stats.js';

const BUDGET = '≤ 1.4× node -e 0';

function timeOnce(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return ms;
}

/**
 * #3: start-up of `nemo --version` and `nemo --help` against `node -e 0`, runs alternating (baseline, nemo) so
 * both share the machine's noise; one untimed warm-up of each first (page cache).
 */
export async function startup(ctx) {
  const runs = ctx.quick ? 5 : 15;
  const env = { ...process.env, NO_COLOR: '1', CI: '1', NEMO_CONFIG_DIR: join(ctx.tmpDir, 'startup-config') };
  const rows = [];
  for (const flag of ['--version', '--help']) {
    const id = `3 ${flag}`;
    const what = `start-up: \`nemo ${flag}\``;
    if (flag === '--help' && !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
      rows.push(pendingRow(id, what, BUDGET, 'dist/cli/main.js is not built (the CLI has not landed yet)'));
      continue;
    }
    timeOnce(['-e', '0'], env);
    timeOnce([NEMO_BIN, flag], env);
    const base = [];
    const nemo = [];
    for (let i = 0; i < runs; i++) {
      base.push(timeOnce(['-e', '0'], env));
      nemo.push(timeOnce([NEMO_BIN, flag], env));
    }
    const n = summarize(nemo);
    const b = summarize(base);
    const r = ratio(n.median, b.median);
    rows.push({
      id,
      what,
      unit: 'ms',
      nemo: n,
      baseline: { label: '`node -e 0`', ...b },
      ratio: r,
      budget: BUDGET,
      pass: r <= 1.4,
      status: 'measured',
      notes: [`${runs} runs each, alternating; wall time of spawnSync (process start → exit)`],
    });
  }
  return rows;
}
