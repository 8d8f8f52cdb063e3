import type { CommanderError } from 'commander';
import { activeContext } from './active.js';
import { EXIT } from './exit-codes.js';

function isCommanderError(err: unknown): err is CommanderError {
  return (
    err instanceof Error &&
    typeof (err as CommanderError).code === 'string' &&
    (err as CommanderError).code.startsWith('commander.')
  );
}

/** Prints an error (two lines on stderr; an `error` event on stdout under --json) and returns the exit code. */
async function report(err: unknown, argv: string[]): Promise<number> {
  const { describeError } = await import('./handle-error.js');
  const r = describeError(err);
  const ctx = activeContext();
  const json = ctx ? ctx.out.json : argv.includes('--json');
  if (json) process.stdout.write(`${JSON.stringify({ type: 'error', ...r })}\n`);
  const red = ctx ? ctx.out.c.red : (s: string) => s;
  process.stderr.write(`${red(`error: ${r.message}`)}\n`);
  if (r.hint) process.stderr.write(`${r.hint.startsWith('→') ? r.hint : `→ ${r.hint}`}\n`);
  return r.exitCode;
}

/** The CLI entry (bin/nemo.js calls it). Sets process.exitCode; never exits while output is pending. */
export async function main(argv: string[]): Promise<void> {
  // `nemo … | head -1`: a closed pipe ends the run quietly instead of crashing with EPIPE
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const { buildProgram } = await import('./program.js');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (isCommanderError(err)) {
      // commander already printed its message (and a suggestion); --help and --version are not errors.
      process.exitCode =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    } else {
      process.exitCode = await report(err, argv);
    }
  } finally {
    await activeContext()?.close();
  }
}
