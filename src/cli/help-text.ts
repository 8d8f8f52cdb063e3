import type { Command } from 'commander';

/**
 * Where the build writes the top-level help, dist/help.txt; read by bin/nemo.js. This file lives two
 * folders below the package root in src/cli, dist/cli and the bundle's dist/bin alike.
 */
export const HELP_FILE = new URL('../../dist/help.txt', import.meta.url);

/** The help width commander uses when stdout is not a terminal (and the only width the cached text is for). */
export const HELP_WIDTH = 80;

/**
 * Exactly what `program.outputHelp()` prints on a non-terminal stdout (80 columns, no colours), including
 * the text added with `addHelpText`, which `helpInformation()` leaves out.
 */
export function renderHelp(program: Command): string {
  let text = '';
  program.configureOutput({
    writeOut: (s) => {
      text += s;
    },
    getOutHelpWidth: () => HELP_WIDTH,
    getOutHasColors: () => false,
  });
  program.outputHelp();
  return text;
}
