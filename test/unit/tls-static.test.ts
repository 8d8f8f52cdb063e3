import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('TLS verification (issue 6)', () => {
  it('no source turns certificate checks off (rejectUnauthorized, NODE_TLS_REJECT_UNAUTHORIZED, checkServerIdentity)', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return (
        /rejectUnauthorized/.test(text) ||
        /checkServerIdentity/.test(text) ||
        /\.NODE_TLS_REJECT_UNAUTHORIZED\s*=(?!=)/.test(text) ||
        /\[['"]NODE_TLS_REJECT_UNAUTHORIZED['"]\]\s*=(?!=)/.test(text)
      );
    });
    expect(offenders).toEqual([]);
  });
});
