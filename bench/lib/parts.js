import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (bench/lib/../..). */
export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
export const NEMO_BIN = join(ROOT, 'bin', 'nemo.js');

/**
 * Imports a built module from dist/ (e.g. 'server/index.js'). Resolves {mod} or {missing: reason} — the
 * code being measured is built concurrently by other helpers, so a missing part is expected, not an error.
 */
export async function loadDist(rel) {
  const path = join(ROOT, 'dist', rel);
  if (!existsSync(path))
    return { missing: `dist/${rel} is not built (src not landed yet, or run \`npm run build\`)` };
  try {
    return { mod: await import(pathToFileURL(path).href) };
  } catch (err) {
    return { missing: `dist/${rel} failed to load: ${err.message}` };
  }
}

/** True when the CLI has been built with the given command file (src/cli/commands/<name>.ts). */
export function cliHasCommand(name) {
  return (
    existsSync(join(ROOT, 'dist', 'cli', 'main.js')) &&
    existsSync(join(ROOT, 'dist', 'cli', 'commands', `${name}.js`))
  );
}

/** The argv to run the nemo CLI: `node bin/nemo.js …args`. */
export function nemoArgv(...args) {
  return [process.execPath, [NEMO_BIN, ...args]];
}
