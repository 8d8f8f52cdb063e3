import type { Command } from 'commander';
import { EXIT_CODE_TABLE } from './exit-codes.js';

/** Escapes text for roff: backslashes, and a leading dot or apostrophe that would read as a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function commandsOf(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((c) => {
    const here = [...path, c.name()];
    return [{ path: here, cmd: c as Command }, ...commandsOf(c as Command, here)];
  });
}

/**
 * nemo(1), rendered at build time from the real commander program (src/cli/write-help.ts writes
 * dist/nemo.1; package.json's `man` installs it), so the manual never drifts from `--help`.
 */
export function manPage(program: Command, version: string, date = new Date()): string {
  const day = date.toISOString().slice(0, 10);
  const lines = [
    `.TH NEMO 1 "${day}" "nemo ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `nemo \\- ${roff(program.description().replace(/^nemo: /, ''))}`,
    '.SH SYNOPSIS',
    '.B nemo',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIarguments\\fR]',
    '.SH GLOBAL OPTIONS',
  ];
  for (const o of program.options) lines.push('.TP', `.B ${roff(o.flags)}`, roff(o.description));
  lines.push('.SH COMMANDS');
  for (const { path, cmd } of commandsOf(program)) {
    const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
    lines.push('.TP', `.B nemo ${roff([...path, ...args].join(' '))}`, roff(cmd.description()));
    for (const o of cmd.options) lines.push('.RS', '.TP', `.B ${roff(o.flags)}`, roff(o.description), '.RE');
  }
  lines.push('.SH EXIT STATUS');
  for (const r of EXIT_CODE_TABLE) lines.push('.TP', `.B ${r.code}`, roff(r.meaning));
  lines.push(
    '.SH ENVIRONMENT',
    roff(
      'NEMO_API_URL, NEMO_WEB_URL, NEMO_TOKEN, NEMO_PROFILE, NEMO_CONFIG_DIR, NEMO_CACHE_DIR, NEMO_DEBUG, ' +
        'SKILL_SOURCE, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, FFMPEG_PATH, FFPROBE_PATH, NO_COLOR, FORCE_COLOR, CI.',
    ),
    '.SH SEE ALSO',
    roff('nemo --help, nemo help <command>, nemo help exit-codes; the README of the nemo-cli package.'),
  );
  return `${lines.join('\n')}\n`;
}
