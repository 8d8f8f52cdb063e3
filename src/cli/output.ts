import type { ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import { redactSecrets, safeJsonReplacer, stripControls } from '../base/redact.js';
import { bar, fmtBytes, fmtDuration, milestonesCrossed, timing } from './progress-format.js';
import { type TtyFacts, ttyFacts } from './tty.js';

/** A progress display: a redrawn bar on a TTY, milestone lines otherwise, NDJSON events under --json. */
export interface Progress {
  update(done: number, total: number, extra?: Record<string, unknown>): void;
  /** Renames what is in progress ("measuring loudness" → "rendering"); redrawn at once on a TTY. */
  label(text: string): void;
  /** Success: `text` is the final line (✔ on a TTY); without text the line is only cleared. */
  finish(text?: string): void;
  fail(text?: string): void;
}

/** A clock-driven "working" indicator (see Output.spinner). */
export interface Working {
  /** Changes the label; the elapsed time keeps counting from the start. */
  update(text: string): void;
  /** The same as update (the older name). */
  text(text: string): void;
  /** Stops; `final` is printed as a done line (✔ on a TTY). */
  stop(final?: string): void;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdinIsTTY: boolean;
}

type OraFactory = typeof import('ora')['default'];
/** The colours nemo's text uses. */
export type Colors = Pick<ChalkInstance, 'dim' | 'red' | 'yellow' | 'blue' | 'green' | 'magenta'>;

const plain = (s: string): string => s;
const PLAIN: Colors = {
  dim: plain,
  red: plain,
  yellow: plain,
  blue: plain,
  green: plain,
  magenta: plain,
} as unknown as Colors;

/** ora (with string-width, cli-spinners…: ~30 ms of module loading) is loaded only where a spinner can show. */
let makeOra: OraFactory | undefined;

/**
 * The one output context. stdout carries data (a path, a JSON object, NDJSON events); stderr
 * carries people's text (progress, hints, warnings, errors).
 */
export class Output {
  facts: TtyFacts;
  /** Colours for stderr text: plain until ready() loads chalk, and only when colours are on. */
  c: Colors = PLAIN;
  private readonly stdout: OutputStreams['stdout'];
  private readonly stderr: OutputStreams['stderr'];
  private active?: Ora;
  /** The clocks of the redrawn lines, stopped by close(). */
  private readonly tickers = new Set<() => void>();
  /** Set on a child view (`--each`): a prefix for people's lines and fields added to every event. */
  private prefix = '';
  private fields: Record<string, unknown> = {};

  constructor(
    flags: { json?: boolean; quiet?: boolean; color?: boolean },
    env: NodeJS.ProcessEnv = process.env,
    streams: OutputStreams = {
      stdout: process.stdout,
      stderr: process.stderr,
      stdinIsTTY: !!process.stdin.isTTY,
    },
    /** The clock elapsed times and ETAs are read from (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.facts = ttyFacts({
      ...flags,
      env,
      stderrIsTTY: !!streams.stderr.isTTY,
      stderrColumns: streams.stderr.columns,
      stdinIsTTY: streams.stdinIsTTY,
    });
  }

  /** The data stream's terminal width, when stdout is a terminal (drawn timelines fit it). */
  get stdoutColumns(): number | undefined {
    return this.stdout.isTTY ? ((this.stdout as { columns?: number }).columns ?? 80) : undefined;
  }

  /**
   * Loads chalk when colours are on and ora when this output animates (createContext awaits it):
   * output for pipes, CI and --json loads neither. nemo uses the 8 basic colours, the same codes at
   * every colour level, so the terminal's depth need not be probed.
   */
  async ready(): Promise<void> {
    if (this.facts.colorLevel > 0 && this.c === PLAIN) {
      const { Chalk } = await import('chalk');
      this.c = new Chalk({ level: this.facts.colorLevel });
    }
    if (this.facts.animate && !makeOra) makeOra = (await import('ora')).default;
  }

  get json(): boolean {
    return this.facts.json;
  }

  /** A data line on stdout (text mode). */
  data(line: string): void {
    this.withSpinnerPaused(() => this.stdout.write(`${this.clean(line)}\n`));
  }

  /** The one JSON object of a short command, on stdout. */
  result(value: unknown): void {
    this.data(JSON.stringify(value, safeJsonReplacer));
  }

  /** One NDJSON event on stdout under --json (no-op otherwise). Fields are documented in events.md. */
  event(type: string, fields: Record<string, unknown> = {}): void {
    if (this.json) this.data(JSON.stringify({ type, ...this.fields, ...fields }, safeJsonReplacer));
  }

  /**
   * The one choke point for text that may come from a server: terminal control sequences stripped
   * (nemo's own colour codes kept when colours are on) and known tokens hidden (src/base/redact.ts).
   */
  private clean(text: string): string {
    return redactSecrets(stripControls(text, { keepColors: this.c !== PLAIN }));
  }

  /** People's text on stderr (suppressed by --quiet). */
  info(line: string): void {
    if (!this.facts.quiet) this.say(line);
  }

  warn(line: string): void {
    if (!this.facts.quiet) this.say(this.c.yellow(line));
  }

  /** Always shown, even with --quiet. */
  say(line: string): void {
    this.withSpinnerPaused(() => this.stderr.write(`${this.prefix}${this.clean(line)}\n`));
  }

  /** A view of this output whose people's lines start with `prefix` and whose events carry `fields`. */
  child(prefix: string, fields: Record<string, unknown>): Output {
    const view = Object.create(this) as Output & { facts: TtyFacts };
    // jobs run side by side: one spinner per job would fight over the line, so children print milestones
    view.facts = { ...this.facts, animate: false };
    view.prefix = `${this.prefix}${prefix}`;
    view.fields = { ...this.fields, ...fields };
    return view;
  }

  /** Raw text on stderr without a newline (live assistant text). */
  write(text: string): void {
    if (!this.facts.quiet) this.withSpinnerPaused(() => this.stderr.write(this.clean(text)));
  }

  private withSpinnerPaused(fn: () => void): void {
    const s = this.active;
    if (s?.isSpinning) {
      s.clear();
      fn();
      s.render();
    } else fn();
  }

  /**
   * A redrawn line driven by a clock: ora animates the frame, and `compose` is asked again every
   * second (and on `refresh`) so elapsed times tick even when nothing reports progress.
   * `discardStdin: false`: ora's default puts the terminal in raw mode while it spins, which turns
   * Ctrl-C into a plain byte (no SIGINT), so the keystroke would do nothing.
   */
  private animate(compose: () => string): { refresh(redraw: boolean): void; stop(final?: string): void } {
    const s = (makeOra as OraFactory)({
      text: compose(),
      stream: this.stderr as NodeJS.WriteStream,
      isEnabled: true,
      discardStdin: false,
    });
    // one line at a time: a new spinner replaces the one showing
    if (this.active?.isSpinning) this.active.stop();
    s.start();
    this.active = s;
    const tick = setInterval(() => {
      s.text = compose();
    }, 1000);
    tick.unref();
    const halt = (): void => clearInterval(tick);
    this.tickers.add(halt);
    return {
      refresh: (redraw) => {
        s.text = compose();
        if (redraw && s.isSpinning) s.render();
      },
      stop: (final) => {
        halt();
        this.tickers.delete(halt);
        if (this.active === s) this.active = undefined;
        if (s.isSpinning) {
          if (final) s.succeed(final);
          else s.stop();
        } else if (final) this.withSpinnerPaused(() => s.succeed(final));
      },
    };
  }

  /**
   * A "working" indicator for waits without progress figures (the agent thinking, a probe, an
   * analysis pass): on a TTY a spinner with `text` and, after a second, the elapsed time, redrawn by
   * the clock; `update(text)` changes the label (the clock keeps running). Off a TTY (pipes, CI,
   * --json, --quiet) it prints `text` once as a line (nothing under --quiet) and `stop(final)` prints
   * `final`; updates print nothing.
   */
  spinner(text: string): Working {
    if (!this.facts.animate || !makeOra) {
      this.info(text);
      return { update: () => {}, text: () => {}, stop: (final) => final && this.info(final) };
    }
    const started = this.now();
    let label = text;
    const line = this.animate(() => {
      const ms = this.now() - started;
      return ms >= 1000 ? `${label} ${this.c.dim(fmtDuration(ms))}` : label;
    });
    const update = (t: string): void => {
      const changed = t !== label;
      label = t;
      line.refresh(changed);
    };
    return { update, text: update, stop: (final) => line.stop(final) };
  }

  /**
   * Progress for `label`. `event` names the NDJSON event (`upload.progress`…) and `fields` maps
   * (done, total) to its documented fields. Bytes are shown as sizes (KiB/MiB) when `bytes` is set.
   * On a TTY: a redrawn bar, with elapsed time, rate (bytes) and ETA once it has run a while (the
   * label alone until the first update). Otherwise: a line at each 25 % milestone, naming the bytes
   * at that milestone; `finish(text)` completes the series with the 100 % line if it is missing.
   */
  progress(
    label: string,
    opts: {
      event: string;
      fields: (done: number, total: number) => Record<string, unknown>;
      bytes?: boolean;
    },
  ): Progress {
    let last = 0;
    let lastEventAt = 0;
    let printed = 0;
    let shownTotal = 0;
    let now = { done: 0, total: 0, updated: false };
    // timed from the first figure: the time before it (probing, queueing) says nothing about the rate
    let started = 0;
    const sizes = (done: number, total: number) => `${fmtBytes(done)} / ${fmtBytes(total)}`;
    const milestone = (m: number, total: number) =>
      this.info(`${label} ${m}%${opts.bytes ? ` (${sizes((m / 100) * total, total)})` : ''}`);
    const line =
      this.facts.animate && makeOra
        ? this.animate(() => {
            if (!now.updated) return label;
            const { done, total } = now;
            const parts = [label, bar(total > 0 ? done / total : 0)];
            if (opts.bytes) parts.push(sizes(done, total));
            const tail = timing(done, total, this.now() - started, !!opts.bytes);
            if (tail) parts.push(this.c.dim(tail));
            return parts.join(' ');
          })
        : undefined;
    return {
      update: (done, total, extra) => {
        const f = total > 0 ? done / total : 0;
        if (this.json) {
          const t = Date.now();
          if (t - lastEventAt >= 200 || f >= 1 || last === 0) {
            lastEventAt = t;
            this.event(opts.event, { ...opts.fields(done, total), ...extra });
          }
        } else if (line) {
          if (!now.updated) started = this.now();
          now = { done, total, updated: true };
          line.refresh(false);
        } else {
          // one line per update: a jump past several milestones prints only the highest
          const m = milestonesCrossed(last, f).pop();
          if (m !== undefined) {
            milestone(m, total);
            printed = m;
          }
        }
        if (total > 0) shownTotal = total;
        last = Math.max(last, f);
      },
      label: (text) => {
        if (text === label) return;
        label = text;
        line?.refresh(true);
      },
      finish: (text) => {
        if (line) line.stop(text);
        else {
          if (text && !this.json && printed > 0 && printed < 100) milestone(100, shownTotal);
          if (text) this.info(text);
        }
      },
      fail: (text) => {
        line?.stop();
        if (text) this.warn(text);
      },
    };
  }

  /** Stops any spinner (before exiting). */
  close(): void {
    for (const halt of this.tickers) halt();
    this.tickers.clear();
    this.active?.stop();
    this.active = undefined;
  }
}
