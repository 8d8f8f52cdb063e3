import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encoderArgs, readFfmpegLog, writeFfmpegWrapper } from '../lib/ffmpeg-log.js';
import { talkMp4 } from '../lib/fixtures.js';
import { nemoEnv, parseNdjson } from '../lib/nemo-env.js';
import { cliHasCommand, nemoArgv } from '../lib/parts.js';
import { runMeasured } from '../lib/proc.js';
import { errorRow, fmt, pendingRow } from '../lib/report.js';
import { ratio, summarize } from '../lib/stats.js';

const BUDGET = '≤ 1.15× floor';
const CASES = [
  { id: '6', instruction: 'trim silences' },
  { id: '6b', instruction: "trim silences, add title 'Hello', make it warm, normalize audio" },
];

/**
 * #6/#6b: `nemo edit <fixture> "<instruction>" --local` against the floor: ONE bare ffmpeg run that re-encodes
 * exactly the kept segments nemo kept (trim/atrim + concat) with the encoder settings nemo's encode pass used.
 * ffmpeg runs through a logging wrapper (FFMPEG_PATH) to count encode/analysis passes and time them.
 */
export async function localEdit(ctx) {
  const seconds = ctx.quick ? 20 : 180;
  const [w, h] = ctx.quick ? [640, 360] : [1280, 720];
  const what = (c) => `local edit "${c.instruction}" on a ${seconds} s ${w}×${h} fixture`;
  if (!cliHasCommand('edit'))
    return CASES.map((c) => pendingRow(c.id, what(c), BUDGET, 'the CLI has no `edit` command yet'));
  const runs = ctx.quick ? 1 : 3;
  ctx.log(`  fixture: ${seconds} s ${w}×${h} talk clip…`);
  const fixture = await talkMp4(ctx.fixturesDir, seconds, w, h);
  const wrapDir = join(ctx.tmpDir, 'ffwrap');
  mkdirSync(wrapDir, { recursive: true });
  const wrapper = writeFfmpegWrapper(wrapDir);
  const rows = [];
  for (const c of CASES) {
    try {
      rows.push(await measureCase(ctx, c, what(c), fixture, wrapper, runs));
    } catch (err) {
      rows.push(errorRow(c.id, what(c), BUDGET, err));
    }
  }
  return rows;
}

let runSeq = 0;

async function measureCase(ctx, c, what, fixture, wrapper, runs) {
  const nemo = [];
  const floor = [];
  const cpu = { nemo: [], floor: [] };
  let last;
  for (let i = 0; i < runs; i++) {
    const n = await runNemo(ctx, c, fixture, wrapper);
    nemo.push(n.wallMs);
    cpu.nemo.push(n.cpuMs);
    last = n;
    const f = await runFloor(ctx, fixture, n.keep, n.encoder);
    floor.push(f.wallMs);
    cpu.floor.push(f.cpuMs);
    ctx.log(
      `  ${c.id} run ${i + 1}: nemo ${(n.wallMs / 1000).toFixed(1)} s, floor ${(f.wallMs / 1000).toFixed(1)} s`,
    );
  }
  const ns = summarize(nemo);
  const fs = summarize(floor);
  const r = ratio(ns.median, fs.median);
  const calls = last.calls;
  const sum = (k) => spanMs(calls.filter((x) => x.kind === k));
  const count = (k) => calls.filter((x) => x.kind === k).length;
  const reported = last.result?.encodePasses ?? last.result?.render?.encodePasses;
  const cpuRatio = ratio(summarize(cpu.nemo).median, summarize(cpu.floor).median);
  return {
    id: c.id,
    what,
    unit: 's',
    nemo: scale(ns, 1 / 1000),
    baseline: { label: 'bare ffmpeg floor', ...scale(fs, 1 / 1000) },
    ratio: r,
    budget: BUDGET,
    pass: r <= 1.15,
    status: 'measured',
    extra: {
      encodePasses: count('encode'),
      reportedEncodePasses: reported ?? null,
      keptSegments: last.keep.length,
    },
    notes: [
      `encode passes: ${count('encode')} (ffmpeg spawns writing an output file)${reported != null ? `; --json result says encodePasses ${reported}` : ''}; analysis passes: ${count('analysis')}; capability probes: ${count('probe')}`,
      `last nemo run: ${(last.wallMs / 1000).toFixed(2)} s; wall time while ffmpeg ran: encode ${(sum('encode') / 1000).toFixed(2)} s, analysis ${(sum('analysis') / 1000).toFixed(2)} s, capability probes ${(sum('probe') / 1000).toFixed(2)} s (the probes run in parallel); no ffmpeg running (node start-up, ffprobe, planning): ${((last.wallMs - spanMs(calls)) / 1000).toFixed(2)} s`,
      `kept segments: ${last.keep.length} (from ${last.keepSource}), ${last.keep.reduce((s, k) => s + k.end - k.start, 0).toFixed(2)} s kept of ${fixture.seconds} s`,
      `floor encoder args (copied from nemo's encode pass): \`${last.encoder.join(' ')}\``,
      'wall times: whole `node bin/nemo.js edit … --local --json` process vs the whole floor ffmpeg process',
      `CPU time (user + sys, nemo with its ffmpeg children), median: nemo ${fmt(summarize(cpu.nemo).median / 1000)} s, floor ${fmt(summarize(cpu.floor).median / 1000)} s — ratio ${fmt(cpuRatio)}× (a cross-check that a busy machine moves less than wall time)`,
    ],
  };
}

/** Wall time covered by the union of the calls' [start, end] intervals, in ms. */
function spanMs(calls) {
  const sorted = [...calls].sort((a, b) => a.startS - b.startS);
  let total = 0;
  let end = -Infinity;
  for (const c of sorted) {
    const from = Math.max(c.startS, end);
    if (c.endS > from) total += c.endS - from;
    end = Math.max(end, c.endS);
  }
  return total * 1000;
}

function scale(s, k) {
  return {
    ...s,
    median: s.median * k,
    min: s.min * k,
    max: s.max * k,
    samples: s.samples.map((x) => Math.round(x * k * 1000) / 1000),
  };
}

async function runNemo(ctx, c, fixture, wrapper) {
  const id = ++runSeq;
  const log = join(ctx.tmpDir, 'ffwrap', `log-${id}.txt`);
  const env = nemoEnv(ctx.tmpDir, { FFMPEG_PATH: wrapper, NEMO_BENCH_FFLOG: log });
  const out = join(ctx.tmpDir, `local-${id}.mp4`);
  const [cmd, args] = nemoArgv(
    'edit',
    fixture.path,
    c.instruction,
    '--local',
    '-o',
    out,
    '--force',
    '--json',
    // the full path against its floor (#7 measures the smart path against this one)
    '--reencode',
  );
  const r = await runMeasured(cmd, args, { env, tmpDir: ctx.tmpDir });
  if (r.code !== 0) throw new Error(`nemo edit --local exited ${r.code}: ${r.stderr.slice(-500)}`);
  if (!existsSync(out)) throw new Error(`nemo edit --local wrote no ${out}`);
  rmSync(out, { force: true });
  const calls = readFfmpegLog(log);
  const encodes = calls.filter((x) => x.kind === 'encode');
  if (!encodes.length)
    throw new Error('no ffmpeg encode pass was seen (is FFMPEG_PATH honoured by the engine?)');
  const encode = encodes.at(-1);
  const events = parseNdjson(r.stdout);
  const result = events.findLast((e) => (e.type ?? e.event) === 'result');
  const fromDraft = keptFromDraft(env.NEMO_CONFIG_DIR);
  const keep = fromDraft ?? keptFromGraph(encode.graphs.join('\n'));
  if (!keep?.length)
    throw new Error('could not find the kept segments (no local draft file, no trim= in the graph)');
  return {
    wallMs: r.wallMs,
    cpuMs: r.cpuMs,
    calls,
    encoder: encoderArgs(encode.args),
    keep,
    keepSource: fromDraft ? 'the saved local draft' : "nemo's filtergraph",
    result,
  };
}

/** The kept source ranges (s) of the video track (tt 0) of the CLI's saved local draft, if any. */
function keptFromDraft(configDir) {
  const file = findNamed(configDir, 'last-local-draft.json');
  if (!file) return null;
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const draft = json.draft ?? json;
  const video = draft.t?.find((t) => t.tt === 0);
  if (!video?.sg?.length) return null;
  return video.sg.map((s) => ({ start: (s.m?.in ?? 0) / 1000, end: ((s.m?.in ?? 0) + s.d) / 1000 }));
}

/** Fallback: the video `trim=` ranges (s) of the encode's filtergraph. */
function keptFromGraph(graph) {
  const out = [];
  for (const m of graph.matchAll(/(?<![a-z])trim=(?:start=)?([\d.]+):(?:end=)?([\d.]+)/g)) {
    out.push({ start: Number(m[1]), end: Number(m[2]) });
  }
  return out;
}

function findNamed(dir, name) {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findNamed(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return null;
}

/** The floor: one bare ffmpeg re-encode of the kept segments (trim/atrim + concat), same encoder settings. */
async function runFloor(ctx, fixture, keep, encoder) {
  const parts = keep.map(
    (k, i) =>
      `[0:v]trim=start=${k.start}:end=${k.end},setpts=PTS-STARTPTS[v${i}];[0:a]atrim=start=${k.start}:end=${k.end},asetpts=PTS-STARTPTS[a${i}]`,
  );
  const inputs = keep.map((_, i) => `[v${i}][a${i}]`).join('');
  const graph = `${parts.join(';')};${inputs}concat=n=${keep.length}:v=1:a=1[v][a]`;
  const graphFile = join(ctx.tmpDir, 'floor-graph.txt');
  writeFileSync(graphFile, graph);
  const out = join(ctx.tmpDir, 'floor.mp4');
  const args = [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    fixture.path,
    '-filter_complex_script',
    graphFile,
  ];
  const r = await runMeasured('ffmpeg', [...args, '-map', '[v]', '-map', '[a]', ...encoder, out], {
    tmpDir: ctx.tmpDir,
  });
  if (r.code !== 0) throw new Error(`floor ffmpeg exited ${r.code}: ${r.stderr.slice(-500)}`);
  rmSync(out, { force: true });
  return r;
}
