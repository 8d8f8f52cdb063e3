import { join } from 'node:path';
import { nowMs } from '../lib/clock.js';
import { talkMp4 } from '../lib/fixtures.js';
import { nemoEnv } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv } from '../lib/parts.js';
import { readMemory, runMeasured, spawnDirect } from '../lib/proc.js';
import { errorRow, fmt, pendingRow } from '../lib/report.js';
import * as http from '../lib/server.js';
import { classifyCliLine, classifyServerWrite, pairDelays } from '../lib/sse-events.js';
import { slope, summarize } from '../lib/stats.js';

const DELAY_WHAT = 'SSE: server writes an event → its line in `nemo edit --json`';
const DELAY_BUDGET = '≤ 50 ms (median)';
const MEM_WHAT = 'memory of `nemo edit --json` over a long heartbeat stream';
const MEM_BUDGET = 'flat: growth ≤ 5 MiB over the last 3/4';

/** #5 SSE event delay and #5b client memory over a long heartbeat stream. */
export async function sse(ctx) {
  if (!cliHasCommand('edit')) {
    const why = 'the CLI has no `edit` command yet';
    return [pendingRow('5', DELAY_WHAT, DELAY_BUDGET, why), pendingRow('5b', MEM_WHAT, MEM_BUDGET, why)];
  }
  const clip = await talkMp4(ctx.fixturesDir, 10, 320, 180);
  const delayRow = await delay(ctx, clip).catch((err) => errorRow('5', DELAY_WHAT, DELAY_BUDGET, err));
  const memoryRow = await memory(ctx, clip).catch((err) => errorRow('5b', MEM_WHAT, MEM_BUDGET, err));
  return [delayRow, memoryRow];
}

/**
 * Runs `nemo edit` (cloud flow) several times and pairs each event the server wrote (its own clock: `/_nemo/stats`
 * `sseWrites`, Date.now() right after the frame was written) with the NDJSON line the CLI printed for it.
 */
async function delay(ctx, clip) {
  const started = await http.startBenchServer({
    dataDir: join(ctx.tmpDir, 'sse-data'),
    heartbeatMs: 100,
    silentFraction: 0,
  });
  if (started.missing) return pendingRow('5', DELAY_WHAT, DELAY_BUDGET, started.missing);
  const server = started.server;
  const runs = ctx.quick ? 1 : 5;
  const delays = [];
  try {
    if (!Array.isArray((await http.stats(server.url)).sseWrites)) {
      return pendingRow(
        '5',
        DELAY_WHAT,
        DELAY_BUDGET,
        'the server has no /_nemo/stats sseWrites (NEEDS.md item 3)',
      );
    }
    for (let i = 0; i < runs; i++) {
      const runStart = Date.now();
      const cli = [];
      const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: server.url });
      const out = join(ctx.tmpDir, `sse-${i}.mp4`);
      const [cmd, args] = nemoArgv(
        'edit',
        clip.path,
        "trim silences, add title 'Hello'",
        '-o',
        out,
        '--force',
        '--json',
      );
      const onLine = (line, at) => cli.push({ line, at });
      const r = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir, onLine });
      if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
      const writes = (await http.stats(server.url)).sseWrites.filter((w) => w.writtenAt >= runStart);
      delays.push(...pairDelays(writes.map(classifyServerWrite), cli.map(classifyCliLine).filter(Boolean)));
    }
  } finally {
    await server.close();
  }
  if (!delays.length)
    throw new Error('no server event could be paired with a CLI --json line (chat.text / chat.tool)');
  const s = summarize(delays.map((d) => d.delayMs));
  const counts = {};
  for (const d of delays) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
  const kinds = Object.entries(counts).map(([k, n]) => `${k} ×${n}`);
  return {
    id: '5',
    what: DELAY_WHAT,
    unit: 'ms',
    nemo: s,
    baseline: null,
    ratio: null,
    budget: DELAY_BUDGET,
    pass: s.median <= 50,
    status: 'measured',
    notes: [
      `${runs} edits, ${delays.length} events paired (${kinds.join(', ')})`,
      "write times: the server's own clock (/_nemo/stats sseWrites: Date.now() right after each frame was written)",
      'CLI time: when the bench read the NDJSON line from the CLI stdout pipe (same clock)',
    ],
  };
}

/**
 * One `nemo edit --json` whose agent works for 60 s (`agentMinMs`) while the server sends a heartbeat every 2 ms;
 * the CLI's RSS is sampled from /proc every 100 ms. "Flat" = the least-squares growth over the last 3/4 of the
 * heartbeat phase (the CLI's first chat.heartbeat line → its chat.tool line; it prints at most one heartbeat line
 * a second) is ≤ 5 MiB.
 */
async function memory(ctx, clip) {
  const workMs = ctx.quick ? 5000 : 60_000;
  const started = await http.startBenchServer({
    dataDir: join(ctx.tmpDir, 'hb-data'),
    heartbeatMs: 2,
    agentMinMs: workMs,
  });
  if (started.missing) return pendingRow('5b', MEM_WHAT, MEM_BUDGET, started.missing);
  const samples = [];
  const events = [];
  let spacing;
  try {
    const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: started.server.url });
    const out = join(ctx.tmpDir, 'hb.mp4');
    const [cmd, args] = nemoArgv('edit', clip.path, 'trim silences', '-o', out, '--force', '--json');
    const onLine = (line, at) => {
      const ev = classifyCliLine({ line, at });
      if (ev && ev.kind !== 'text') events.push(ev);
    };
    const { child, done } = spawnDirect(cmd, args, { env, onLine });
    const timer = setInterval(() => {
      const m = readMemory(child.pid);
      if (m?.rssMiB) samples.push({ at: nowMs(), rssMiB: m.rssMiB });
    }, 100);
    const r = await done;
    clearInterval(timer);
    if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
    const beats = (await http.stats(started.server.url)).sseWrites.filter((w) => w.kind === 'heartbeat');
    spacing = summarize(beats.slice(1).map((b, i) => b.writtenAt - beats[i].writtenAt));
  } finally {
    await started.server.close();
  }
  // The agent's work as the CLI saw it: from its first chat.heartbeat line to the tool's first chat.tool line.
  const from = events.find((e) => e.kind === 'heartbeat')?.at;
  const to = events.find((e) => e.kind !== 'heartbeat' && e.at > from)?.at;
  if (!from || !to || to - from < workMs / 2)
    throw new Error('no long heartbeat phase seen (does the server know agentMinMs?)');
  const phase = samples.filter((s) => s.at >= from + (to - from) / 4 && s.at <= to);
  const perMs = slope(
    phase.map((s) => s.at),
    phase.map((s) => s.rssMiB),
  );
  const growth = perMs * (to - from) * 0.75;
  const s = summarize(phase.map((p) => p.rssMiB));
  return {
    id: '5b',
    what: MEM_WHAT,
    unit: 'MiB',
    nemo: s,
    baseline: null,
    ratio: null,
    budget: MEM_BUDGET,
    pass: growth <= 5,
    status: 'measured',
    notes: [
      `the agent worked ${((to - from) / 1000).toFixed(1)} s (first chat.heartbeat → chat.tool line; server: agentMinMs ${workMs}, heartbeatMs 2 — the heartbeats the server still kept were written ${fmt(spacing?.median)} ms apart, median); RSS sampled every 100 ms`,
      `least-squares growth over the last 3/4: ${growth.toFixed(2)} MiB (${(perMs * 60_000).toFixed(2)} MiB/min)`,
    ],
  };
}
