import { readFileSync } from 'node:fs';

let version: string | undefined;

/**
 * nemo's version, read once from package.json. Every file that asks (src/base, dist/base and the CLI
 * bundle's dist/bin) sits two folders below the package root.
 */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: string;
      };
      version = pkg.version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
