#!/usr/bin/env node
// The entry point stays tiny: `nemo --version` answers without loading any module, a lone `--help` from the
// text the build rendered from the real program (dist/help.txt, see src/cli/write-help.ts), and everything
// else loads the bundled program (dist/bin/nemo.js, built by scripts/bundle.mjs).
const argv = process.argv.slice(2);
const lone = argv.length === 1 ? argv[0] : undefined;
if (lone === '--version' || lone === '-v' || lone === '-V' || lone === 'version') {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else if ((lone === '--help' || lone === '-h') && cachedHelp(await import('node:fs'))) {
  // answered by cachedHelp
} else {
  const { main } = await import('../dist/bin/nemo.js');
  process.exitCode = await main(process.argv, await v8Hooks());
}

/**
 * THE ONE PLACE where nemo changes V8 flags, before the program (and undici) loads; the library never
 * does. Both are measured in bench/FINDINGS.md (F1) and re-measured by `npm run bench -- --only 1,2`:
 * - `--liftoff-only` keeps WebAssembly on V8's baseline code: undici parses HTTP with llhttp compiled to
 *   wasm, and the TurboFan tier-up of that module alone costs ~35 MiB of peak RSS per process, for no
 *   measurable speed gain (llhttp only parses headers; body bytes are handed over as slices).
 * - `--expose-gc` gives the download loop a young-generation GC every 8 MiB (src/cli/reclaim.ts), so the
 *   written socket buffers are freed at once instead of when external memory has grown by tens of MiB.
 * Node documents that flags changed after start-up may misbehave; these two only affect code compiled
 * or collected afterwards. Set NEMO_NO_V8_FLAGS=1 to run without them.
 */
async function v8Hooks() {
  if (process.env.NEMO_NO_V8_FLAGS === '1') return {};
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  return typeof gc === 'function' ? { gc } : {};
}

/**
 * Prints the build-time help when it is exactly what commander would print: stdout not a terminal or one
 * 80 columns wide (commander wraps at the terminal's width), and the text not older than the program.
 */
function cachedHelp({ readFileSync, statSync }) {
  if (process.stdout.isTTY && process.stdout.columns !== 80) return false;
  try {
    const file = new URL('../dist/help.txt', import.meta.url);
    const program = new URL('../dist/bin/nemo.js', import.meta.url);
    if (statSync(file).mtimeMs < statSync(program).mtimeMs) return false;
    process.stdout.write(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}
