#!/usr/bin/env node
// Smart render vs full re-encode (issue 15): `node bench/smart-render.js` after `npm run build` (measures dist/).
// Generates a phone-like 3-minute 720p H.264 clip (High@4.0, 3 B-frames, 1 s closed GOPs, speech-like tone
// bursts with pauses) and the same picture with x264's default GOP (250 frames); runs "trim silences" on
// each twice in one run — the smart path (--smart-render) and the full re-encode — and prints a Markdown table (progress on stderr):
// wall times, the ratio, the copied share of output frames, and where the smart path's time goes.
// Options: --seconds <n> (fixture length, default 180), --keep (keep bench/.tmp/smart-render).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '180' }, keep: { type: 'boolean' } },
});
const SECONDS = Number(opts.seconds);
const work = join(ROOT, 'bench', '.tmp', 'smart-render');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const { localEdit } = await import(pathToFileURL(join(ROOT, 'dist', 'engine', 'local-edit.js')).href);
const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
const log = (s) => process.stderr.write(`${s}\n`);

/** Speech-like bursts 1.5–6 s with pauses 0.7–2 s (a fixed pseudo-random sequence). */
function speechSpans(total) {
  let seed = 7;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const spans = [];
  let t = 0.3;
  while (t < total - 1) {
    const talk = 1.5 + rand() * 4.5;
    spans.push([t, Math.min(total, t + talk)]);
    t += talk + 0.7 + rand() * 1.3;
  }
  return spans;
}

function makeFixture(file, x264) {
  const spans = speechSpans(SECONDS);
  const gate = spans.map(([a, b]) => `between(t,${a.toFixed(3)},${b.toFixed(3)})`).join('+');
  execFileSync(FFMPEG, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=30:d=${SECONDS}`],
    ...[
      '-f',
      'lavfi',
      '-i',
      `aevalsrc='0.4*sin(2*PI*220*t)*(1+0.5*sin(2*PI*3*t))*gt(${gate},0)':s=48000:d=${SECONDS}`,
    ],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...x264],
    ...['-c:a', 'aac', '-b:a', '128k', '-shortest', file],
  ]);
  return { file, pauses: spans.length - 1 };
}

async function timed(file, out, smart) {
  const t0 = performance.now();
  const r = await localEdit({
    files: [file],
    instruction: 'trim silences',
    outPath: out,
    smart,
    overwrite: true,
  });
  return { ms: performance.now() - t0, r };
}

const fixtures = [
  {
    name: 'phone-like (High@4.0, 3 B-frames, 1 s GOP)',
    x264: [
      '-profile:v',
      'high',
      '-level',
      '4.0',
      '-g',
      '30',
      '-keyint_min',
      '30',
      '-sc_threshold',
      '0',
      '-bf',
      '3',
    ],
  },
  { name: 'x264 defaults (GOP 250)', x264: ['-profile:v', 'high'] },
];
const rows = [];
for (const [k, f] of fixtures.entries()) {
  log(`fixture ${k + 1}/${fixtures.length}: ${f.name}, ${SECONDS} s 720p…`);
  const { file, pauses } = makeFixture(join(work, `src-${k}.mp4`), f.x264);
  log('  smart (--smart-render)…');
  const smart = await timed(file, join(work, `smart-${k}.mp4`), true);
  log('  full re-encode (the default)…');
  const full = await timed(file, join(work, `full-${k}.mp4`), false);
  const p = smart.r.render.renderPath ?? { path: 'full', reasons: [] };
  const t = p.timings ?? {};
  rows.push({
    name: f.name,
    pauses,
    cuts: smart.r.draft.t[0].sg.length,
    path: p.path,
    why: p.path === 'full' ? p.reasons.join('; ') : '',
    share: p.frames ? `${Math.round((100 * p.copiedFrames) / p.frames)} %` : '—',
    smartS: smart.ms / 1000,
    fullS: full.ms / 1000,
    t,
  });
}

const s = (ms) => (ms / 1000).toFixed(1);
console.log(`## Smart render vs full re-encode ("trim silences", ${SECONDS} s 720p30 source)\n`);
console.log(
  `machine: ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ffmpeg from PATH\n`,
);
console.log(
  '| source | kept parts | path taken | copied frames | --smart-render (s) | full re-encode (s) | ratio |',
);
console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.cuts} | ${r.path}${r.why ? ` (${r.why})` : ''} | ${r.share} | ${r.smartS.toFixed(1)} | ${r.fullS.toFixed(1)} | ${(r.fullS / r.smartS).toFixed(2)}× |`,
  );
console.log(
  '\nWhere the smart path spends its time (steps of one render; audio, split and head/tail encodes run side by side):\n',
);
console.log('| source | audio encode (s) | GOP split, copy (s) | head/tail encodes (s) | concat + mux (s) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows.filter((x) => x.path === 'smart'))
  console.log(`| ${r.name} | ${s(r.t.audioMs)} | ${s(r.t.splitMs)} | ${s(r.t.encodeMs)} | ${s(r.t.muxMs)} |`);
if (!opts.keep) rmSync(work, { recursive: true, force: true });
