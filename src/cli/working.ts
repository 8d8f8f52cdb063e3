import type { Output } from './output.js';

/** How often the "still working" line may print off a terminal, by default (NEMO_STILL_WORKING_MS). */
export const DEFAULT_STILL_WORKING_MS = 30_000;

export interface WorkingOptions {
  /** Off a terminal: a line (and a `chat.working` event) after this long without news, then again at this interval. */
  intervalMs: number;
  /** On a terminal: how often the spinner's elapsed time is redrawn. Default 1000. */
  tickMs?: number;
  now?: () => number;
}

/** `45s`, `2m 10s`, `1h 05m`. */
export function fmtElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * "Still working" feedback from the clock while the agent works, not from the stream: ADK sends no
 * bytes at all while a tool runs (no heartbeats), so nothing that arrives can be relied on to say it.
 *
 * - On a terminal: a spinner from the moment the message is sent, with the elapsed time and the tool
 *   that is running (`working… · generate_video_with_seedance 1m 05s`). Live (`--stream`) text stops
 *   it (it would erase the line); the next tool call brings it back, timing that tool's wait.
 * - Off a terminal (pipes, CI, --json): after `intervalMs` without news, a line
 *   `⏳ still working… (2m 10s, generate_video_with_seedance)` on stderr and a `chat.working` event
 *   (`elapsedMs`, `tool`) under --json, repeated every `intervalMs` while nothing else is shown.
 */
export class Working {
  private readonly now: () => number;
  private started = 0;
  private lastNews = 0;
  /** Running tools in call order: key (call id, else name) → name. */
  private readonly tools = new Map<string, string>();
  private spinner?: ReturnType<Output['spinner']>;
  private timer?: NodeJS.Timeout;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly out: Output,
    private readonly opts: WorkingOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get animate(): boolean {
    return this.out.facts.animate;
  }

  /** The message was sent. */
  start(): void {
    this.started = this.now();
    this.lastNews = this.started;
    if (this.animate) this.showSpinner();
    this.schedule();
  }

  /** The tool the agent is waiting on, if any: the last one started and not finished. */
  get tool(): string | undefined {
    let last: string | undefined;
    for (const name of this.tools.values()) last = name;
    return last;
  }

  toolStarted(id: string | undefined, name: string): void {
    this.tools.set(id ?? name, name);
    // after live text the spinner comes back for the tool, timing the tool's wait
    if (this.animate && !this.spinner && !this.paused && !this.stopped) this.showSpinner();
    this.news();
  }

  toolEnded(id: string | undefined, name: string): void {
    if (!this.tools.delete(id ?? name)) {
      for (const [key, n] of this.tools) {
        if (n === name) {
          this.tools.delete(key);
          break;
        }
      }
    }
    this.news();
  }

  /** Something was shown to the person (text, a tool line): the off-terminal clock starts again. */
  news(): void {
    this.lastNews = this.now();
    if (!this.animate) this.schedule();
    else this.redraw();
  }

  /** Live text is being written on the line: no spinner meanwhile (it would erase the line). */
  pause(): void {
    if (this.paused || !this.animate) return;
    this.paused = true;
    this.spinner?.stop();
    this.spinner = undefined;
  }

  /** The live text's line is closed: the spinner comes back with the next tool call. */
  resume(): void {
    this.paused = false;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.spinner?.stop();
    this.spinner = undefined;
  }

  /** Does the spinner add the elapsed time itself (Output's clock-driven spinner has `update`)? */
  private spinnerTicks = false;

  private spinnerSince = 0;

  private text(): string {
    const tool = this.tool;
    const elapsed = this.spinnerTicks ? '' : ` ${fmtElapsed(this.now() - this.spinnerSince)}`;
    return `working…${elapsed}${tool ? ` · ${tool}` : ''}`;
  }

  private showSpinner(): void {
    this.spinnerSince = this.now();
    const sp = this.out.spinner(this.text());
    this.spinnerTicks = 'update' in sp;
    if (this.spinnerTicks) sp.text(this.text());
    this.spinner = sp;
  }

  private redraw(): void {
    this.spinner?.text(this.text());
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const delay = this.animate
      ? (this.opts.tickMs ?? 1000)
      : Math.max(0, this.lastNews + this.opts.intervalMs - this.now());
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref?.();
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.animate) this.redraw();
    else {
      const elapsedMs = this.now() - this.started;
      const tool = this.tool;
      this.out.info(`⏳ still working… (${fmtElapsed(elapsedMs)}${tool ? `, ${tool}` : ''})`);
      this.out.event('chat.working', { elapsedMs, tool: tool ?? null });
      this.lastNews = this.now();
    }
    this.schedule();
  }
}
