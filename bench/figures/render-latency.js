import { join } from 'node:path';
import { talkMp4 } from '../lib/fixtures.js';
import { nemoEnv } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv } from '../lib/parts.js';
import { runMeasured } from '../lib/proc.js';
import { pendingRow } from '../lib/report.js';
import * as http from '../lib/server.js';
import { summarize } from '../lib/stats.js';

const BUDGET = '≤ 1000 ms (worst run)';
const WHAT = 'render latency: server marks render completed → client requests the download';

/**
 * #4: `nemo edit <clip> "trim silences" --json` (cloud flow) against `nemo serve` with renders that take
 * `renderMinMs`. Both ends are server timestamps: the render's `completedAt` (poll body / /_nemo/stats) and the
 * arrival of the first request for the render's bytes, from the server's access log (logged at close minus the
 * logged duration, ±1 ms).
 */
export async function renderLatency(ctx) {
  if (!cliHasCommand('edit')) return [pendingRow('4', WHAT, BUDGET, 'the CLI has no `edit` command yet')];
  const renderMinMs = ctx.quick ? 1500 : 6000;
  const runs = ctx.quick ? 1 : 5;
  const started = await http.startBenchServer({ dataDir: join(ctx.tmpDir, 'latency-data'), renderMinMs });
  if (started.missing) return [pendingRow('4', WHAT, BUDGET, started.missing)];
  const { server, log } = started;
  try {
    const clip = await talkMp4(ctx.fixturesDir, 10, 320, 180);
    const latencies = [];
    const notes = [
      `renders take ≥ ${renderMinMs} ms (renderMinMs) with progress advancing; clip: 10 s 320×180`,
    ];
    for (let i = 0; i < runs; i++) {
      const fromLog = log.length;
      const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: server.url });
      const out = join(ctx.tmpDir, `latency-${i}.mp4`);
      const [cmd, args] = nemoArgv('edit', clip.path, 'trim silences', '-o', out, '--force', '--json');
      const r = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir });
      if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
      const st = await http.stats(server.url);
      const m = measure(st.lastRenderCompletedAt, http.accessLog(log.slice(fromLog)));
      latencies.push(m.latencyMs);
      notes.push(`run ${i + 1}: ${m.latencyMs.toFixed(0)} ms; ${m.polls} polls, intervals ${m.intervals}`);
      ctx.log(`  run ${i + 1}: ${m.latencyMs.toFixed(0)} ms`);
    }
    const s = summarize(latencies);
    return [
      {
        id: '4',
        what: WHAT,
        unit: 'ms',
        nemo: s,
        baseline: null,
        ratio: null,
        budget: BUDGET,
        pass: s.max <= 1000,
        status: 'measured',
        notes,
      },
    ];
  } finally {
    await server.close();
  }
}

const DOWNLOAD_PATH = /^\/(renders\/|api\/render\/proxy\/[^/]+\/download)/;
const POLL_PATH = /^\/api\/render\/proxy\/lambda\/[^/]+$/;

function measure(completedAt, requests) {
  if (!completedAt) throw new Error('/_nemo/stats has no lastRenderCompletedAt');
  const polls = requests.filter((r) => r.method === 'GET' && POLL_PATH.test(r.path));
  const intervals = polls.slice(1).map((p, i) => Math.round(p.arrivedAt - polls[i].arrivedAt));
  const shown = intervals.length > 10 ? `${intervals.slice(0, 10).join(', ')}, …` : intervals.join(', ');
  const dl = requests.find((r) => r.method === 'GET' && DOWNLOAD_PATH.test(r.path));
  if (!dl)
    throw new Error(
      `no download request in the server's access log: ${requests.map((r) => r.path).join(' ')}`,
    );
  return { latencyMs: dl.arrivedAt - completedAt, polls: polls.length, intervals: `[${shown}] ms` };
}
