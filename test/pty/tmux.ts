/**
 * A real pseudo-terminal for terminal-behaviour tests: nemo runs in a tmux pane (its own tmux
 * server, so other tmux users are untouched), keys are typed with `send-keys` (C-c goes through the
 * terminal's line discipline and becomes SIGINT for the foreground process group, as in a real
 * terminal), and the screen is read with `capture-pane`. Every byte the pane printed is also
 * recorded (`pipe-pane`), escapes included.
 *
 * The pane runs a bash script that waits for a go (so recording starts before nemo prints), runs the
 * command, records `stty -a` of the terminal, then writes its exit status to a file, and waits for a key
 * (so the screen can still be read). `trap : INT HUP` keeps that script alive when the keystroke or
 * a hang-up also reaches it, so the exit status is still written; the command itself gets the
 * default signal dispositions, as under a person's shell.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export interface PaneOptions {
  /** argv of the command (absolute paths; no shell). */
  argv: string[];
  cwd: string;
  /** Variables set for the command (on top of this process's environment). */
  env?: Record<string, string>;
  /** Variables removed for the command (CI, so nemo animates as in a person's terminal). */
  unset?: string[];
  columns?: number;
  rows?: number;
  /**
   * Pass a hang-up on to the command, as a person's shell does when its terminal closes (bash sends
   * SIGHUP to its jobs). The command then runs as a job of the script, reading the terminal; without
   * this it runs in the foreground, where a typed Ctrl-C reaches it as in a person's shell.
   */
  forwardHangUp?: boolean;
}

let counter = 0;

export class Pane {
  readonly dir: string;
  private readonly socket: string;
  private readonly name = 'nemo';
  private closed = false;

  private constructor(socket: string, dir: string) {
    this.socket = socket;
    this.dir = dir;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts the pane and the command in it; resolves once recording is on and the command started. */
  static async start(o: PaneOptions): Promise<Pane> {
    const dir = mkdtempSync(join(tmpdir(), 'nemo-pty-'));
    const socket = `nemo-pty-${process.pid}-${++counter}`;
    const pane = new Pane(socket, dir);
    const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
    const unset = (o.unset ?? []).flatMap((k) => ['-u', k]);
    const command = `env ${unset.join(' ')} ${env.join(' ')} ${o.argv.map(quote).join(' ')}`;
    const run = o.forwardHangUp
      ? [
          'exec 3<&0',
          `${command} <&3 3<&- &`,
          'child=$!',
          "trap 'kill -HUP $child 2>/dev/null' HUP",
          // wait returns early when the trap runs; the status is the child's once it is gone
          'while :; do wait $child; status=$?; kill -0 $child 2>/dev/null || break; done',
        ]
      : [command, 'status=$?'];
    const script = [
      '#!/bin/bash',
      'trap : INT HUP',
      `while [ ! -e ${quote(join(dir, 'go'))} ]; do sleep 0.05; done`,
      `cd ${quote(o.cwd)}`,
      ...run,
      // the terminal's state is recorded before the exit status appears: a test that sees `rc` can read it
      "echo \"[stty] $(stty -a | tr '\\n' ' ')\"",
      `stty -a > ${quote(join(dir, 'stty'))} 2>&1`,
      `echo $status > ${quote(join(dir, 'rc.tmp'))}; mv ${quote(join(dir, 'rc.tmp'))} ${quote(join(dir, 'rc'))}`,
      'read -r _ || true',
    ].join('\n');
    writeFileSync(join(dir, 'run.sh'), `${script}\n`, { mode: 0o700 });
    pane.tmux(
      'new-session',
      '-d',
      '-s',
      pane.name,
      '-x',
      String(o.columns ?? 120),
      '-y',
      String(o.rows ?? 30),
      `bash ${quote(join(dir, 'run.sh'))}`,
    );
    pane.tmux('pipe-pane', '-o', '-t', pane.name, `cat >> ${quote(join(dir, 'raw'))}`);
    writeFileSync(join(dir, 'go'), '');
    return pane;
  }

  /** What the screen shows now (text, no escapes). */
  screen(): string {
    if (this.closed) return '';
    try {
      return this.tmux('capture-pane', '-p', '-J', '-t', this.name);
    } catch {
      return '';
    }
  }

  /** Every byte the pane printed so far, escapes included. */
  raw(): string {
    const f = join(this.dir, 'raw');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** Types keys (tmux key names: 'C-c', 'Enter'). */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Polls the screen until `re` shows; returns the screen. Throws with the screen on timeout. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (re.test(s)) return s;
      if (Date.now() > until) throw new Error(`the screen never showed ${re}:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The command's exit status, once it has exited. */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    const f = join(this.dir, 'rc');
    const until = Date.now() + timeoutMs;
    while (!existsSync(f)) {
      if (Date.now() > until) throw new Error(`the command did not exit; the screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Number(readFileSync(f, 'utf8').trim());
  }

  /** `stty -a` of the terminal, taken after the command exited. */
  stty(): string {
    const f = join(this.dir, 'stty');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** Closes the terminal (the tmux session goes: the processes in it get SIGHUP). */
  hangUp(): void {
    if (this.closed) return;
    this.closed = true;
    this.tmux('kill-server');
  }

  close(): void {
    this.hangUp();
  }
}

/** Termios flags as `stty -a` prints them: `icanon` on, `-icanon` off. */
export function sttyFlag(stty: string, flag: string): boolean | undefined {
  if (new RegExp(`(^|\\s)-${flag}(\\s|$)`).test(stty)) return false;
  if (new RegExp(`(^|\\s)${flag}(\\s|$)`).test(stty)) return true;
  return undefined;
}
