import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from './cli-error.js';

/**
 * The default output next to the input: `clip.mp4` → `clip.edited.mp4`, then `clip.edited-1.mp4`,
 * `clip.edited-2.mp4`… — the first name that does not exist (never overwriting). `taken` adds names
 * already promised to other jobs of the same run.
 */
export function defaultOutputPath(
  input: string,
  ext = 'mp4',
  taken: ReadonlySet<string> = new Set(),
): string {
  const dir = dirname(input);
  const stem = basename(input, extname(input));
  for (let i = 0; ; i++) {
    const candidate = join(dir, `${stem}.edited${i === 0 ? '' : `-${i}`}.${ext}`);
    if (!existsSync(candidate) && !taken.has(resolve(candidate))) return candidate;
  }
}

function samePath(a: string, b: string): boolean {
  const ra = resolve(a);
  const rb = resolve(b);
  if (ra === rb) return true;
  try {
    return realpathSync(ra) === realpathSync(rb);
  } catch {
    return false;
  }
}

/** Checks an output path before any work: its directory exists, it is not an input, and it does not exist unless --force. */
export function checkOutputPath(output: string, inputs: readonly string[], force: boolean): void {
  // `-o -` would otherwise write a file literally named "-": a video is not streamed to stdout (MP4
  // needs a seekable file for its index), so say so instead
  if (output === '-')
    throw new UsageError(
      'nemo writes videos to files, not to stdout (-o -)',
      'give a file name, e.g. -o out.mp4; nemo prints the path on stdout (pipe it: cat "$(nemo edit …)")',
    );
  const dir = dirname(resolve(output));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`the output directory ${dir} does not exist`, `create it first: mkdir -p '${dir}'`);
  }
  if (inputs.some((i) => samePath(i, output))) {
    throw new UsageError(
      `the output ${output} is also an input`,
      'choose another name with -o, e.g. -o edited.mp4',
    );
  }
  if (existsSync(output)) {
    if (statSync(output).isDirectory())
      throw new UsageError(`the output ${output} is a directory`, 'give a file name with -o');
    if (!force)
      throw new UsageError(
        `the output ${output} already exists`,
        'pass --force to replace it, or choose another name with -o',
      );
  }
}
