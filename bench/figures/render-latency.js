import { join } from 'node:path';
import { talkMp4 } from '../lib/fixtures.js';
import { nemoEnv } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv } from '../lib/parts.js';
import { runMeasured } from '../lib/proc.js';
import { startRelay } from '../lib/relay.js';
import { pendingRow } from '../lib/report.js';
import * as http from '../lib/server.js';
import { summarize } from '../lib/stats.js';

const BUDGET = '≤ 1000 ms (worst run)';
const WHAT = 'render latency: server marks render completed → client requests the download';

/**
 * #4: `nemo edit <clip> "trim silences" --json` (cloud flow) against `nemo serve` with renders that take
 * `renderMinMs`; latency = (arrival of the client's first download request) − (the server's completedAt).
 * Both timestamps come from the server's /_nemo/stats when it records them; otherwise the download request's
 * arrival is taken from a loopback relay between the CLI and the server (same clock, < 1 ms).
 */
export async function renderLatency(ctx) {
  if (!cliHasCommand('edit')) return [pendingRow('4', WHAT, BUDGET, 'the CLI has no `edit` command yet')];
  const renderMinMs = ctx.quick ? 1500 : 6000;
  const runs = ctx.quick ? 1 : 3;
  const started = await http.startBenchServer({ dataDir: join(ctx.tmpDir, 'latency-data'), renderMinMs });
  if (started.missing) return [pendingRow('4', WHAT, BUDGET, started.missing)];
  const server = started.server;
  const relay = await startRelay(server.port);
  try {
    const clip = await talkMp4(ctx.fixturesDir, 10, 320, 180);
    const latencies = [];
    const notes = [
      `renders take ≥ ${renderMinMs} ms (renderMinMs) with progress advancing; clip: 10 s 320×180`,
    ];
    for (let i = 0; i < runs; i++) {
      const firstReq = relay.requests.length;
      const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: relay.url });
      const out = join(ctx.tmpDir, `latency-${i}.mp4`);
      const [cmd, args] = nemoArgv('edit', clip.path, 'trim silences', '-o', out, '--force', '--json');
      const r = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir });
      if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
      const st = await http.stats(server.url);
      const m = measure(st, relay.requests.slice(firstReq));
      latencies.push(m.latencyMs);
      notes.push(
        `run ${i + 1}: ${m.latencyMs.toFixed(0)} ms (${m.source}); ${m.polls} polls, intervals ${m.intervals}`,
      );
      ctx.log(`  run ${i + 1}: ${m.latencyMs.toFixed(0)} ms (${m.source})`);
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
    await relay.close();
    await server.close();
  }
}

const DOWNLOAD_PATH = /^\/(renders\/|api\/render\/proxy\/[^/]+\/download)/;
const POLL_PATH = /^\/api\/render\/proxy\/lambda\/[^/]+$/;

function measure(st, requests) {
  const render = latestRender(st);
  if (!render?.completedAt)
    throw new Error(`/_nemo/stats has no render completedAt: ${JSON.stringify(st).slice(0, 400)}`);
  const polls = requests.filter((r) => r.method === 'GET' && POLL_PATH.test(r.path));
  const intervals = polls.slice(1).map((p, i) => Math.round(p.at - polls[i].at));
  const shown = intervals.length > 8 ? `${intervals.slice(0, 8).join(', ')}, …` : intervals.join(', ');
  const base = { polls: polls.length, intervals: `[${shown}] ms` };
  if (render.firstDownloadAt) {
    return { ...base, latencyMs: render.firstDownloadAt - render.completedAt, source: 'server timestamps' };
  }
  const dl = requests.find((r) => r.method === 'GET' && DOWNLOAD_PATH.test(r.path));
  if (!dl) throw new Error('no download request seen (server stats have no firstDownloadAt, relay saw none)');
  return {
    ...base,
    latencyMs: dl.at - render.completedAt,
    source: 'server completedAt, download arrival at the relay',
  };
}

/** The most recent render in /_nemo/stats, whichever of the plausible shapes the server uses. */
function latestRender(st) {
  const list = Array.isArray(st.renders)
    ? st.renders
    : st.renders && typeof st.renders === 'object'
      ? Object.values(st.renders)
      : [];
  const withTimes = list.filter((r) => r && typeof r === 'object' && r.completedAt);
  if (withTimes.length) return withTimes.sort((a, b) => a.completedAt - b.completedAt).at(-1);
  const last = st.lastRenderCompletedAt ?? st.lastCompletedAt ?? st.renderCompletedAt;
  return last ? { completedAt: last } : null;
}
