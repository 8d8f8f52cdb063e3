#!/usr/bin/env node
// nemo benchmarks (issue 5): `npm run bench` (full) or `npm run bench -- --quick` (smoke, < 2 min, not judged).
// Each figure is a ratio against a baseline measured in the same run. Measures the BUILT code: run
// `npm run build` first. Options: --quick, --only <ids> (comma-separated: 1,2,3,4,5,6,7), --report-only (re-render
// bench/RESULTS.md from bench/results.json and FINDINGS.md, measuring nothing).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { localEdit } from './figures/local-edit.js';
import { renderLatency } from './figures/render-latency.js';
import { smartRender } from './figures/smart-render.js';
import { sse } from './figures/sse.js';
import { startup } from './figures/startup.js';
import { transfer } from './figures/transfer.js';
import { machineInfo } from './lib/machine.js';
import { ROOT } from './lib/parts.js';
import { errorRow, fmt, writeReport } from './lib/report.js';

const FIGURES = [
  { ids: ['1', '2'], what: 'upload/download vs curl', run: transfer },
  { ids: ['3'], what: 'start-up vs node -e 0', run: startup },
  { ids: ['4'], what: 'render completed → download', run: renderLatency },
  { ids: ['5'], what: 'SSE delay and heartbeat memory', run: sse },
  { ids: ['6'], what: 'local edits (full re-encode) vs bare ffmpeg', run: localEdit },
  { ids: ['7'], what: 'smart render vs full re-encode', run: smartRender },
];

const USAGE = `Usage: npm run bench [-- options]   (measures the built code: npm run build first)

Options:
  --quick          a smoke run with small sizes (< 2 min); its figures are not judged
  --only <ids>     only these figures, comma-separated: 1,2 (transfers), 3, 4, 5, 6, 7
  --report-only    re-render bench/RESULTS.md from bench/results.json and FINDINGS.md, measuring nothing
  -h, --help       this text

Examples:
  npm run build && npm run bench
  npm run bench -- --only 1,2
  npm run bench -- --quick
`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'report-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const only = values.only ? values.only.split(',').map((s) => s.trim()) : null;
const quick = values.quick;

const benchDir = join(ROOT, 'bench');
const findingsPath = join(benchDir, 'FINDINGS.md');
if (values['report-only']) {
  const saved = JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8'));
  writeReport({ ...saved, outDir: benchDir, mdName: 'RESULTS.md', jsonName: 'results.json', findingsPath });
  process.stderr.write('[bench] re-rendered bench/RESULTS.md from bench/results.json\n');
  process.exit(0);
}

const tmpDir = join(benchDir, '.tmp', `run-${process.pid}`);
const fixturesDir = join(benchDir, 'fixtures');
mkdirSync(tmpDir, { recursive: true });
mkdirSync(fixturesDir, { recursive: true });

const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const ctx = { quick, tmpDir, fixturesDir, log };
const startedAt = new Date().toISOString();
const rows = [];

for (const fig of FIGURES) {
  if (only && !fig.ids.some((id) => only.includes(id))) continue;
  log(`#${fig.ids.join('/')} ${fig.what}…`);
  const t0 = Date.now();
  try {
    const got = await fig.run(ctx);
    rows.push(...got);
    for (const r of got) {
      const shown =
        r.status === 'measured' ? `${fmt(r.nemo?.median)} ${r.unit}, ratio ${fmt(r.ratio)}` : r.notes[0];
      log(`  ${r.id}: ${r.status} — ${shown}`);
    }
  } catch (err) {
    log(`  #${fig.ids.join('/')} failed: ${err.stack ?? err}`);
    rows.push(errorRow(fig.ids.join('/'), fig.what, '—', err));
  }
  log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

const command = `npm run bench${quick || only ? ' --' : ''}${quick ? ' --quick' : ''}${only ? ` --only ${only.join(',')}` : ''}`;
const full = !quick && !only;
writeReport({
  rows,
  machine: machineInfo(),
  quick,
  command,
  startedAt,
  outDir: full ? benchDir : join(benchDir, '.tmp'),
  mdName: full ? 'RESULTS.md' : 'RESULTS.partial.md',
  jsonName: full ? 'results.json' : 'results.partial.json',
  findingsPath,
});
rmSync(tmpDir, { recursive: true, force: true });
log(
  `wrote ${full ? 'bench/RESULTS.md and bench/results.json' : 'bench/.tmp/RESULTS.partial.md and results.partial.json'}`,
);
