import type { Command, CommanderError } from 'commander';
import { activeContext } from './active.js';
import { EXIT } from './exit-codes.js';
import { type RuntimeHooks, setRuntimeHooks } from './runtime.js';

function isCommanderError(err: unknown): err is CommanderError {
  return (
    err instanceof Error &&
    typeof (err as CommanderError).code === 'string' &&
    (err as CommanderError).code.startsWith('commander.')
  );
}

/**
 * Prints an error (two lines on stderr; an `error` event on stdout under --json) and returns the exit
 * code. A message or hint may quote a server (or a proxy) verbatim: known tokens, `nmv_usr_…`,
 * `Bearer …`, URL credentials and terminal control sequences are removed before anything is printed.
 */
async function report(err: unknown, argv: string[]): Promise<number> {
  const [{ describeError }, { rememberSecret, safeJsonReplacer, safeText }] = await Promise.all([
    import('./handle-error.js'),
    import('../base/redact.js'),
  ]);
  rememberSecret(process.env.NEMO_TOKEN?.trim());
  const described = describeError(err);
  const r = {
    ...described,
    message: safeText(described.message),
    ...(described.hint === undefined ? {} : { hint: safeText(described.hint) }),
  };
  const ctx = activeContext();
  const json = ctx ? ctx.out.json : argv.includes('--json');
  if (json) process.stdout.write(`${JSON.stringify({ type: 'error', ...r }, safeJsonReplacer)}\n`);
  const red = ctx ? ctx.out.c.red : (s: string) => s;
  process.stderr.write(`${red(`error: ${r.message}`)}\n`);
  if (r.hint) process.stderr.write(`${r.hint.startsWith('→') ? r.hint : `→ ${r.hint}`}\n`);
  return r.exitCode;
}

/** After commander's own error line: the fix (the command's help), and the error event under --json. */
function usageFix(err: CommanderError, argv: string[], program: Command): void {
  const words = argv.slice(2);
  const command = program.commands.find((c) => words.includes(c.name()));
  const hint = `see ${command ? `nemo ${command.name()} --help` : 'nemo --help'}`;
  if (words.includes('--json')) {
    const message = err.message.replace(/^error: /, '');
    process.stdout.write(
      `${JSON.stringify({ type: 'error', code: 'usage', exitCode: EXIT.usage, message, hint })}\n`,
    );
  }
  process.stderr.write(`→ ${hint}\n`);
}

/** The CLI entry (bin/nemo.js calls it). Sets process.exitCode; never exits while output is pending. */
export async function main(argv: string[], hooks: RuntimeHooks = {}): Promise<void> {
  setRuntimeHooks(hooks);
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
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      process.exitCode = ok ? EXIT.ok : EXIT.usage;
      if (!ok) usageFix(err, argv, program);
    } else {
      process.exitCode = await report(err, argv);
    }
  } finally {
    await activeContext()?.close();
  }
}
