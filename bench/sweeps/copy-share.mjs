// The sweep MIN_COPY_SHARE (src/engine/smart/eligibility.ts) is set from: "trim silences" on 60 s 720p30
// clips (the bench fixture's picture and speech pattern) with GOPs of 30..300 frames, smart against
// --reencode, alternating, two pairs each. The smart path runs from a copy of dist/ with the threshold
// lifted to 0, so it is measured where the product would fall back:
//   npm run build && node bench/sweeps/copy-share.mjs [GOP sizes, e.g. 30,60,90,120]

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(root, 'bench', '.tmp', 'copy-share');
const DIST = join(work, 'dist');
rmSync(DIST, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(root, 'dist'), DIST, { recursive: true });
if (!existsSync(join(work, 'node_modules')))
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
const rules = join(DIST, 'engine', 'smart', 'eligibility.js');
writeFileSync(rules, readFileSync(rules, 'utf8').replace(/MIN_COPY_SHARE = [\d.]+;/, 'MIN_COPY_SHARE = 0;'));
const { localEdit } = await import(join(DIST, 'engine', 'local-edit.js'));
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
const seconds = 60;
function fixture(g) {
  const file = join(work, `g${g}.mp4`);
  if (existsSync(file)) return file;
  const gate = speechSpans(seconds)
    .map(([a, b]) => `between(t,${a.toFixed(3)},${b.toFixed(3)})`)
    .join('+');
  execFileSync('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=1280x720:r=30:d=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='0.4*sin(2*PI*220*t)*(1+0.5*sin(2*PI*3*t))*gt(${gate},0)':s=48000:d=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-profile:v',
    'high',
    '-level',
    '4.0',
    '-g',
    String(g),
    '-keyint_min',
    String(g),
    '-sc_threshold',
    '0',
    '-bf',
    '3',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-shortest',
    file,
  ]);
  return file;
}
for (const g of (process.argv[2] ?? '30,60,90,120,180,300').split(',').map(Number)) {
  const file = fixture(g);
  const t = { smart: [], full: [] };
  let share;
  for (let i = 0; i < 2; i++)
    for (const side of i % 2 ? ['full', 'smart'] : ['smart', 'full']) {
      const t0 = performance.now();
      const r = await localEdit({
        files: [file],
        instruction: 'trim silences',
        outPath: join(work, 'out.mp4'),
        overwrite: true,
        reencode: side === 'full',
      });
      t[side].push((performance.now() - t0) / 1000);
      if (side === 'smart') share = r.render.renderPath;
    }
  const s = Math.min(...t.smart),
    f = Math.min(...t.full);
  console.log(
    `GOP ${g}: path ${share.path} copied ${share.copiedFrames ? Math.round((100 * share.copiedFrames) / share.frames) : '-'} %, smart ${t.smart.map((x) => x.toFixed(1)).join('/')} s, full ${t.full.map((x) => x.toFixed(1)).join('/')} s, best-of ratio ${(s / f).toFixed(3)}`,
  );
}
