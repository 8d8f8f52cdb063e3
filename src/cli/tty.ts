/** What the output may do, decided once per run from flags, environment and streams. */
export interface TtyFacts {
  json: boolean;
  quiet: boolean;
  /** Colour level for stderr text (0 = none). */
  colorLevel: 0 | 1 | 2 | 3;
  /** Spinners and redrawn byte bars allowed (stderr is a TTY and CI is unset). */
  animate: boolean;
  /** Prompts allowed (stdin and stderr are TTYs). */
  canPrompt: boolean;
}

export interface TtyInputs {
  json?: boolean;
  quiet?: boolean;
  /** commander's `--no-color` → false */
  color?: boolean;
  env: NodeJS.ProcessEnv;
  stderrIsTTY: boolean;
  /** Width of the stderr terminal; 0 (a pty without a size) disables redrawing, which needs a width. */
  stderrColumns?: number;
  stdinIsTTY: boolean;
  /** Colour level the terminal supports (from supports-color), used when nothing forces it. */
  terminalLevel?: 0 | 1 | 2 | 3;
}

function forcedLevel(v: string): 0 | 1 | 2 | 3 {
  if (v === '0' || v === 'false') return 0;
  if (v === '2') return 2;
  if (v === '3') return 3;
  return 1;
}

/**
 * The TTY rules: colour only when allowed (`--no-color` and `NO_COLOR` win, then `FORCE_COLOR`,
 * then a TTY that is not `TERM=dumb`); animation only on a TTY stderr outside CI, never with
 * `--json` or `--quiet`; prompts only when stdin and stderr are both TTYs.
 */
export function ttyFacts(i: TtyInputs): TtyFacts {
  const { env } = i;
  let colorLevel: 0 | 1 | 2 | 3;
  if (i.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) colorLevel = 0;
  else if (env.FORCE_COLOR !== undefined) colorLevel = forcedLevel(env.FORCE_COLOR);
  else if (i.stderrIsTTY && env.TERM !== 'dumb') colorLevel = i.terminalLevel ?? 1;
  else colorLevel = 0;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return {
    json: !!i.json,
    quiet: !!i.quiet,
    colorLevel,
    animate:
      i.stderrIsTTY && (i.stderrColumns ?? 80) > 0 && !ci && !i.json && !i.quiet && env.TERM !== 'dumb',
    canPrompt: i.stdinIsTTY && i.stderrIsTTY,
  };
}
