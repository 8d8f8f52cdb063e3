import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from '../lib/clock.js';
import { talkMp4 } from '../lib/fixtures.js';
import { nemoEnv } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv, ROOT } from '../lib/parts.js';
import { readMemory, runMeasured, spawnDirect } from '../lib/proc.js';
import { startRelay } from '../lib/relay.js';
import { pendingRow } from '../lib/report.js';
import * as http from '../lib/server.js';
import { classifyCliLine, classifyServerLine, classifyServerWrite, pairDelays } from '../lib/sse-events.js';
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
  return [await delay(ctx, clip), await memory(ctx, clip)];
}

/**
 * Runs `nemo edit` (cloud flow, through a loopback relay) several times and pairs each event the server wrote
 * with the NDJSON line the CLI printed for it. Server write times come from /_nemo/stats `sseWrites` when the
 * server records them, else from the relay (the moment the server's bytes arrived on loopback).
 */
async function delay(ctx, clip) {
  const started = await http.startBenchServer({
    dataDir: join(ctx.tmpDir, 'sse-data'),
    heartbeatMs: 100,
    silentFraction: 0,
  });
  if (started.missing) return pendingRow('5', DELAY_WHAT, DELAY_BUDGET, started.missing);
  const server = started.server;
  const own = Array.isArray((await http.stats(server.url)).sseWrites);
  const relay = own ? null : await startRelay(server.port);
  const runs = ctx.quick ? 1 : 5;
  const delays = [];
  try {
    for (let i = 0; i < runs; i++) {
      const fromLine = relay?.lines.length ?? 0;
      const runStart = Date.now();
      const cli = [];
      const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: relay?.url ?? server.url });
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
      const cliEvents = cli.map(classifyCliLine).filter(Boolean);
      const serverEvents = own
        ? (await http.stats(server.url)).sseWrites
            .filter((w) => w.writtenAt >= runStart)
            .map(classifyServerWrite)
        : relay.lines.slice(fromLine).map(classifyServerLine);
      delays.push(...pairDelays(serverEvents, cliEvents));
    }
  } finally {
    await relay?.close();
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
      own
        ? "write times: the server's own clock (/_nemo/stats sseWrites: Date.now() right after each frame was written)"
        : 'write times: a loopback relay between the CLI and the server (/_nemo/stats has no sseWrites yet)',
      'CLI time: when the bench read the NDJSON line from the CLI stdout pipe',
    ],
  };
}

/** True when the built server knows the `agentMinMs` option (NEEDS.md item 4). */
function serverHasAgentMinMs() {
  try {
    const dir = join(ROOT, 'dist', 'server');
    return readdirSync(dir, { recursive: true })
      .filter((f) => String(f).endsWith('.js'))
      .some((f) => readFileSync(join(dir, String(f)), 'utf8').includes('agentMinMs'));
  } catch {
    return false;
  }
}

/**
 * One `nemo edit --json` whose agent works for `workMs` while a heartbeat arrives every 2 ms; the CLI's RSS is
 * sampled from /proc every 100 ms. "Flat" = the least-squares growth over the last 3/4 of the heartbeat phase is
 * ≤ 5 MiB. The server's own `agentMinMs` when it has one; else the relay holds the stream after the tool call and
 * sends the heartbeats itself (same bytes, same framing).
 */
async function memory(ctx, clip) {
  const workMs = ctx.quick ? 5000 : 60_000;
  const own = serverHasAgentMinMs();
  const opts = own ? { heartbeatMs: 2, agentMinMs: workMs } : {};
  const started = await http.startBenchServer({ dataDir: join(ctx.tmpDir, 'hb-data'), ...opts });
  if (started.missing) return pendingRow('5b', MEM_WHAT, MEM_BUDGET, started.missing);
  const server = started.server;
  const relay = await startRelay(server.port, own ? {} : { hold: { ms: workMs, everyMs: 2 } });
  const samples = [];
  try {
    const env = nemoEnv(ctx.tmpDir, { NEMO_API_URL: relay.url });
    const out = join(ctx.tmpDir, 'hb.mp4');
    const [cmd, args] = nemoArgv('edit', clip.path, 'trim silences', '-o', out, '--force', '--json');
    const { child, done } = spawnDirect(cmd, args, { env });
    const timer = setInterval(() => {
      const m = readMemory(child.pid);
      if (m?.rssMiB) samples.push({ at: nowMs(), rssMiB: m.rssMiB });
    }, 100);
    const r = await done;
    clearInterval(timer);
    if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
  } finally {
    await relay.close();
    await server.close();
  }
  const beats = relay.lines.map(classifyServerLine).filter((e) => e.kind === 'heartbeat');
  if (beats.length < 10) throw new Error(`only ${beats.length} heartbeats reached the client`);
  const from = beats[0].at;
  const to = beats.at(-1).at;
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
      `${beats.length} heartbeats over ${((to - from) / 1000).toFixed(1)} s, one every 2 ms, ${own ? 'from the server (heartbeatMs 2, agentMinMs)' : "sent by the bench relay in the server's chunked framing after the tool call (the server has no agentMinMs yet)"}; RSS sampled every 100 ms`,
      `least-squares growth over the last 3/4: ${growth.toFixed(2)} MiB (${(perMs * 60_000).toFixed(2)} MiB/min)`,
    ],
  };
}
