import type { Command, CommanderError } from 'commander';
import { activeContext, setActiveContext, withRun } from './active.js';
import { EXIT } from './exit-codes.js';
import { type IOStreams, processIO } from './io.js';
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
async function report(err: unknown, argv: string[], io: IOStreams): Promise<number> {
  const [{ describeError }, { rememberSecret, safeJsonReplacer, safeText }] = await Promise.all([
    import('./handle-error.js'),
    import('../base/redact.js'),
  ]);
  rememberSecret(io.env.NEMO_TOKEN?.trim());
  const described = describeError(err, io.env);
  const r = {
    ...described,
    message: safeText(described.message),
    ...(described.hint === undefined ? {} : { hint: safeText(described.hint) }),
  };
  const ctx = activeContext();
  const json = ctx ? ctx.out.json : argv.includes('--json');
  if (json) io.stdout.write(`${JSON.stringify({ type: 'error', ...r }, safeJsonReplacer)}\n`);
  const red = ctx ? ctx.out.c.red : (s: string) => s;
  io.stderr.write(`${red(`error: ${r.message}`)}\n`);
  if (r.hint) io.stderr.write(`${r.hint.startsWith('→') ? r.hint : `→ ${r.hint}`}\n`);
  return r.exitCode;
}

/** After commander's own error line: the fix (the command's help), and the error event under --json. */
function usageFix(err: CommanderError, argv: string[], program: Command, io: IOStreams): void {
  const words = argv.slice(2);
  const command = program.commands.find((c) => words.includes(c.name()));
  const hint = `see ${command ? `nemo ${command.name()} --help` : 'nemo --help'}`;
  if (words.includes('--json')) {
    const message = err.message.replace(/^error: /, '');
    io.stdout.write(
      `${JSON.stringify({ type: 'error', code: 'usage', exitCode: EXIT.usage, message, hint })}\n`,
    );
  }
  io.stderr.write(`→ ${hint}\n`);
}

/**
 * Runs one nemo command line and returns its exit code; never exits while output is pending.
 * bin/nemo.js calls `main(process.argv, hooks)` and sets process.exitCode from it; tests call it with
 * their own `io` (captured streams, their own env) and run commands in process.
 */
export function main(argv: string[], hooks: RuntimeHooks = {}, io: IOStreams = processIO()): Promise<number> {
  setRuntimeHooks(hooks);
  return withRun(io, () => run(argv, io));
}

async function run(argv: string[], io: IOStreams): Promise<number> {
  if (io.stdout === process.stdout) {
    // `nemo … | head -1`: a closed pipe ends the run quietly instead of crashing with EPIPE
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      // the terminal closed: signals.ts stops the run cleanly (exit 130)
      if (err.code === 'EIO') return;
      throw err;
    });
  }
  const { buildProgram } = await import('./program.js');
  const program = buildProgram();
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv);
    code = activeContext()?.exitCode ?? EXIT.ok;
  } catch (err) {
    if (isCommanderError(err)) {
      // commander already printed its message (and a suggestion); --help and --version are not errors.
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      code = ok ? EXIT.ok : EXIT.usage;
      if (!ok) usageFix(err, argv, program, io);
    } else {
      code = await report(err, argv, io);
    }
  } finally {
    await activeContext()?.close();
    setActiveContext(undefined);
  }
  return code;
}
