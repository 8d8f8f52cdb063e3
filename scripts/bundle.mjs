// Build step: bundles the CLI (src/cli/main.ts and everything it imports, dependencies included) into
// dist/bin/, one chunk per lazily imported module group (esbuild's code splitting), so a command loads a
// few files instead of hundreds. The library (`exports` in package.json) stays tsc's dist/api, dist/engine….
// The metafile (dist/bin/meta.json) says which sources each chunk holds; the start-up tests read it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bin.new', { recursive: true, force: true });
const result = await build({
  entryPoints: { nemo: 'src/cli/main.ts' },
  // built aside and swapped in whole: a failed build leaves the previous bundle as it was
  outdir: 'dist/bin.new',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // the ffmpeg/ffprobe installer packages locate their binaries next to their own files
  external: ['@ffmpeg-installer/*', '@ffprobe-installer/*'],
  // CommonJS dependencies (undici, commander) call require(); an ES module has none of its own
  banner: {
    js: 'import { createRequire as __nemoRequire } from "node:module"; const require = __nemoRequire(import.meta.url);',
  },
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// the outputs as they are named once swapped in
const outputs = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([k, v]) => [k.replace(/^dist\/bin\.new\//, 'dist/bin/'), v]),
);
writeFileSync('dist/bin.new/meta.json', JSON.stringify({ ...result.metafile, outputs }));
rmSync('dist/bin.old', { recursive: true, force: true });
try {
  renameSync('dist/bin', 'dist/bin.old');
} catch {}
renameSync('dist/bin.new', 'dist/bin');
rmSync('dist/bin.old', { recursive: true, force: true });
