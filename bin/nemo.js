#!/usr/bin/env node
// The entry point stays tiny: `nemo --version` answers without loading any module, a lone `--help` from the
// text the build rendered from the real program (dist/cli/help.txt, see src/cli/write-help.ts), and
// everything else lazy-loads the commander program from dist/.
const argv = process.argv.slice(2);
const lone = argv.length === 1 ? argv[0] : undefined;
if (lone === '--version' || lone === '-V') {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else if ((lone === '--help' || lone === '-h') && cachedHelp(await import('node:fs'))) {
  // answered by cachedHelp
} else {
  // Keep WebAssembly on V8's baseline (Liftoff) code: undici parses HTTP with llhttp compiled to wasm, and
  // the TurboFan tier-up of that module alone costs ~35 MiB of peak RSS per process (measured: one undici
  // request 100 → 65 MiB; `nemo upload` of 500 MB 117 → ~82 MiB) for no measurable speed gain — llhttp
  // only parses headers, body bytes are handed over as slices. Must run before undici loads.
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}

/**
 * Prints the build-time help when it is exactly what commander would print: stdout not a terminal or one
 * 80 columns wide (commander wraps at the terminal's width), and the text not older than the program.
 */
function cachedHelp({ readFileSync, statSync }) {
  if (process.stdout.isTTY && process.stdout.columns !== 80) return false;
  try {
    const file = new URL('../dist/cli/help.txt', import.meta.url);
    const program = new URL('../dist/cli/program.js', import.meta.url);
    if (statSync(file).mtimeMs < statSync(program).mtimeMs) return false;
    process.stdout.write(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}
