import { Readable, Writable } from 'node:stream';
import type { IOStreams } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface InProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

let chdirQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs one nemo command line IN THIS PROCESS (src/cli/main.ts with injected IO: captured stdout/stderr, a
 * stdin holding `input`, the given env) and returns what a spawned CLI would: exit code, stdout, stderr.
 * No process spawn, no bundle load: the CLI's behaviour at a fraction of the cost. Tests of what only the
 * real binary shows (signals, start-up, two processes racing, a terminal) spawn it instead (helpers.nemo).
 * With `cwd`, runs are serialised, since the working directory is the process's.
 */
export function nemoIn(
  args: string[],
  opts: { env: Record<string, string>; input?: string; cwd?: string },
): Promise<InProcessResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from(opts.input === undefined || opts.input === '' ? [] : [Buffer.from(opts.input)]);
  const io: IOStreams = { stdout, stderr, stdin, env: { ...opts.env } };
  const go = async (): Promise<InProcessResult> => {
    const code = await main(['node', 'nemo', ...args], {}, io);
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  if (!opts.cwd) return go();
  const cwd = opts.cwd;
  const result = chdirQueue.then(async () => {
    const before = process.cwd();
    process.chdir(cwd);
    try {
      return await go();
    } finally {
      process.chdir(before);
    }
  });
  chdirQueue = result.catch(() => undefined);
  return result;
}
