// The sweep MIN_COPY_SHARE (src/engine/smart/eligibility.ts) is set from: "trim silences" on 60 s 720p30
// clips (the bench fixture's picture and speech pattern) with GOPs of 30..300 frames, smart against
// --reencode, alternating, two pairs each. The smart path runs from a copy of dist/ with the threshold
// lifted to 0, so it is measured where the product would fall back:
//   npm run build && node bench/sweeps/copy-share.mjs [GOP sizes, e.g. 30,60,90,120]

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
const { makeFixture } = await import('../figures/smart-render.js');
const seconds = 60;
const fixture = (g) =>
  makeFixture(work, `g${g}`, seconds, [
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
  ]);
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
