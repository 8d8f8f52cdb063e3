import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nemoEnv, parseNdjson } from '../lib/nemo-env.js';
import { nemoArgv } from '../lib/parts.js';
import { runMeasured } from '../lib/proc.js';
import { errorRow, fmt } from '../lib/report.js';
import { ratio, summarize } from '../lib/stats.js';

/**
 * #7, #7b, #7c: smart rendering (issue 15) against the full re-encode, through the built CLI, side by side in
 * one run (the two alternate, so a load change hits both): `nemo edit <clip> "<instruction>" --local` (the
 * default: smart wherever eligible) vs the same with `--reencode`. The figure is smart time / full time.
 * Fixtures: a phone-like 3-minute 720p30 H.264 clip (High@4.0, 3 B-frames, 1 s closed GOPs, speech-like
 * tone bursts with pauses) and the same picture with x264's default GOP (250 frames).
 */
const PHONE = '-profile:v high -level 4.0 -g 30 -keyint_min 30 -sc_threshold 0 -bf 3'.split(' ');
const CASES = [
  { id: '7', fixture: 'phone', instruction: 'trim silences', budget: 1 / 3, words: '≤ 0.33 (≥ 3× faster)' },
  {
    id: '7b',
    fixture: 'phone',
    instruction: "add a title 'Urban Dreams'",
    budget: 1 / 8,
    words: '≤ 0.125 (≥ 8× faster)',
  },
  {
    id: '7c',
    fixture: 'gop250',
    instruction: 'trim silences',
    budget: null,
    words: 'falls back (not judged)',
  },
];

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

export function makeFixture(dir, name, seconds, x264) {
  const file = join(dir, `smart-${name}-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const gate = speechSpans(seconds)
    .map(([a, b]) => `between(t,${a.toFixed(3)},${b.toFixed(3)})`)
    .join('+');
  const tmp = `${file}.part.mp4`;
  execFileSync('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=30:d=${seconds}`],
    ...[
      '-f',
      'lavfi',
      '-i',
      `aevalsrc='0.4*sin(2*PI*220*t)*(1+0.5*sin(2*PI*3*t))*gt(${gate},0)':s=48000:d=${seconds}`,
    ],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...x264],
    ...['-c:a', 'aac', '-b:a', '128k', '-shortest', tmp],
  ]);
  renameSync(tmp, file);
  return file;
}

async function runEdit(ctx, file, instruction, reencode) {
  const out = join(ctx.tmpDir, `smart-${reencode ? 'full' : 'smart'}.mp4`);
  const args = ['edit', file, instruction, '--local', '-o', out, '--force', '--json'];
  const [cmd, argv] = nemoArgv(...args, ...(reencode ? ['--reencode'] : []));
  const r = await runMeasured(cmd, argv, { env: nemoEnv(ctx.tmpDir), tmpDir: ctx.tmpDir });
  if (r.code !== 0) throw new Error(`nemo edit exited ${r.code}: ${r.stderr.slice(-400)}`);
  const result = parseNdjson(r.stdout).findLast((e) => (e.type ?? e.event) === 'result');
  rmSync(out, { force: true });
  return { wallMs: r.wallMs, cpuMs: r.cpuMs, renderPath: result?.renderPath ?? result?.data?.renderPath };
}

export async function smartRender(ctx) {
  const seconds = ctx.quick ? 30 : 180;
  const runs = ctx.quick ? 1 : 3;
  ctx.log(`  fixtures: ${seconds} s 1280×720 phone-like (1 s GOP) and GOP-250 clips…`);
  const fixtures = {
    phone: makeFixture(ctx.fixturesDir, 'phone', seconds, PHONE),
    gop250: makeFixture(ctx.fixturesDir, 'gop250', seconds, ['-profile:v', 'high']),
  };
  const rows = [];
  for (const c of CASES) {
    const what = `local edit "${c.instruction}" on a ${seconds} s 720p ${c.fixture === 'phone' ? 'phone-like 1 s-GOP' : 'GOP-250'} clip: smart (default) vs --reencode`;
    try {
      const smart = [];
      const full = [];
      let path;
      for (let i = 0; i < runs; i++) {
        // alternate the order, so neither side always runs on a warmer cache
        const pair = i % 2 ? ['full', 'smart'] : ['smart', 'full'];
        for (const side of pair) {
          const r = await runEdit(ctx, fixtures[c.fixture], c.instruction, side === 'full');
          (side === 'full' ? full : smart).push(r.wallMs);
          if (side === 'smart') path = r.renderPath;
        }
        ctx.log(
          `  ${c.id} run ${i + 1}: smart ${(smart.at(-1) / 1000).toFixed(1)} s, full ${(full.at(-1) / 1000).toFixed(1)} s`,
        );
      }
      const s = summarize(smart.map((x) => x / 1000));
      const f = summarize(full.map((x) => x / 1000));
      const r = ratio(s.median, f.median);
      const share =
        path?.path === 'smart'
          ? `${Math.round((100 * path.copiedFrames) / Math.max(1, path.frames))} % of the output frames stream-copied`
          : `full re-encode: ${(path?.reasons ?? []).join('; ')}`;
      rows.push({
        id: c.id,
        what,
        unit: 's',
        nemo: s,
        baseline: { label: 'the same edit with --reencode', ...f },
        ratio: r,
        budget: c.words,
        pass: c.budget == null ? null : r <= c.budget,
        status: 'measured',
        extra: { renderPath: path ?? null, speedUp: r ? 1 / r : null },
        notes: [
          `path taken: ${path?.path ?? 'unknown'} — ${share}`,
          `speed-up (full / smart, medians): ${fmt(r ? 1 / r : null)}×`,
          ...(path?.timingsMs
            ? [
                `where the smart run's time went (last run; audio, GOP split and the encode pass run side by side): ${Object.entries(
                  path.timingsMs,
                )
                  .map(([k, v]) => `${k.replace(/Ms$/, '')} ${fmt(v / 1000)} s`)
                  .join(', ')}`,
              ]
            : []),
          'wall times: whole `node bin/nemo.js edit … --local --json` processes, smart and --reencode alternating',
        ],
      });
    } catch (err) {
      rows.push(errorRow(c.id, what, c.words, err));
    }
  }
  return rows;
}
