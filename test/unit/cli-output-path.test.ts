import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutputPath, defaultOutputPath } from '../../src/cli/output-path.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemo-out-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('default output name', () => {
  it('sits next to the input and never overwrites', () => {
    const input = join(dir, 'clip.mp4');
    writeFileSync(input, 'x');
    expect(defaultOutputPath(input)).toBe(join(dir, 'clip.edited.mp4'));
    writeFileSync(join(dir, 'clip.edited.mp4'), 'x');
    expect(defaultOutputPath(input)).toBe(join(dir, 'clip.edited-1.mp4'));
    writeFileSync(join(dir, 'clip.edited-1.mp4'), 'x');
    expect(defaultOutputPath(input, 'gif')).toBe(join(dir, 'clip.edited.gif'));
    expect(defaultOutputPath(input)).toBe(join(dir, 'clip.edited-2.mp4'));
  });

  it('skips names promised to other jobs of the same run', () => {
    const input = join(dir, 'a b: "c".mov');
    expect(defaultOutputPath(input, 'mp4', new Set([resolve(join(dir, 'a b: "c".edited.mp4'))]))).toBe(
      join(dir, 'a b: "c".edited-1.mp4'),
    );
  });
});

describe('output checks', () => {
  it('refuses an existing output without --force, a missing directory, and the input itself', () => {
    const input = join(dir, 'clip.mp4');
    writeFileSync(input, 'x');
    const existing = join(dir, 'out.mp4');
    writeFileSync(existing, 'x');
    expect(() => checkOutputPath(existing, [input], false)).toThrow(/already exists/);
    expect(() => checkOutputPath(existing, [input], true)).not.toThrow();
    expect(() => checkOutputPath(join(dir, 'nope', 'out.mp4'), [input], false)).toThrow(/does not exist/);
    expect(() => checkOutputPath(input, [input], true)).toThrow(/also an input/);
    mkdirSync(join(dir, 'sub'));
    expect(() => checkOutputPath(join(dir, 'sub'), [input], true)).toThrow(/is a directory/);
    expect(() => checkOutputPath(join(dir, 'fresh.mp4'), [input], false)).not.toThrow();
  });
});
