import type { ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import { redactSecrets, safeJsonReplacer, stripControls } from '../base/redact.js';
import { bar, fmtBytes, milestonesCrossed } from './progress-format.js';
import { type TtyFacts, ttyFacts } from './tty.js';

/** A progress display: a redrawn bar on a TTY, milestone lines otherwise, NDJSON events under --json. */
export interface Progress {
  update(done: number, total: number, extra?: Record<string, unknown>): void;
  finish(text?: string): void;
  fail(text?: string): void;
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

  /** A spinner on a TTY; a single line otherwise. */
  spinner(text: string): { text(t: string): void; stop(final?: string): void } {
    if (!this.facts.animate || !makeOra) {
      this.info(text);
      return { text: () => {}, stop: (final) => final && this.info(final) };
    }
    const s = makeOra({ text, stream: this.stderr as NodeJS.WriteStream, isEnabled: true }).start();
    this.active = s;
    return {
      text: (t) => {
        s.text = t;
      },
      stop: (final) => {
        if (final) s.succeed(final);
        else s.stop();
        if (this.active === s) this.active = undefined;
      },
    };
  }

  /**
   * Progress for `label`. `event` names the NDJSON event (`upload.progress`…) and `fields` maps
   * (done, total) to its documented fields. Bytes are shown as sizes when `bytes` is set.
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
    const sp = this.facts.animate ? this.spinner(label) : undefined;
    const describe = (done: number, total: number) =>
      opts.bytes ? `${fmtBytes(done)} / ${fmtBytes(total)}` : `${Math.round((done / (total || 1)) * 100)}%`;
    return {
      update: (done, total, extra) => {
        const f = total > 0 ? done / total : 0;
        if (this.json) {
          const now = Date.now();
          if (now - lastEventAt >= 200 || f >= 1 || last === 0) {
            lastEventAt = now;
            this.event(opts.event, { ...opts.fields(done, total), ...extra });
          }
        } else if (sp) sp.text(`${label} ${bar(f)} ${opts.bytes ? describe(done, total) : ''}`.trimEnd());
        else {
          // one line per update: a jump past several milestones prints only the highest
          const m = milestonesCrossed(last, f).pop();
          if (m !== undefined) this.info(`${label} ${m}%${opts.bytes ? ` (${describe(done, total)})` : ''}`);
        }
        last = Math.max(last, f);
      },
      finish: (text) => {
        if (sp) sp.stop(text ?? `${label} done`);
        else if (text) this.info(text);
      },
      fail: (text) => {
        sp?.stop();
        if (text) this.warn(text);
      },
    };
  }

  /** Stops any spinner (before exiting). */
  close(): void {
    this.active?.stop();
    this.active = undefined;
  }
}
