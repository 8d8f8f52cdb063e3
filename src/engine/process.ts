import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { childEnv } from './child-env.js';
import { EngineAbortedError, FfmpegFailedError, FfmpegStalledError } from './errors.js';

/** Why a binary was spawned: tests count `encode` spawns to prove one encode pass per render. */
export type SpawnPurpose = 'probe' | 'capabilities' | 'analysis' | 'encode';

export interface SpawnRecord {
  command: string;
  args: readonly string[];
  purpose: SpawnPurpose;
}

const observers = new Set<(record: SpawnRecord) => void>();

/** Observes every ffmpeg/ffprobe spawn the engine makes; returns the unsubscribe function. */
export function onFfmpegSpawn(observer: (record: SpawnRecord) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

export interface RunOptions {
  purpose: SpawnPurpose;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each complete stdout line (e.g. `-progress pipe:1` key=value lines). */
  onStdoutLine?: (line: string) => void;
  /** Keep stdout in the result (default true; progress streams turn it off). */
  keepStdout?: boolean;
  /**
   * Stall watchdog: kill the child when it writes nothing (stdout, stderr, or the fd-3 progress pipe)
   * for this many ms, and reject with `FfmpegStalledError`. Default `stallTimeoutMs()`; `false` turns it
   * off (for tools that legitimately stay quiet, e.g. a transcriber).
   */
  stallMs?: number | false;
  /** Open fd 3 as a pipe (for `-progress pipe:3`): its output only feeds the watchdog. */
  progressFd?: boolean;
}

const DEFAULT_STALL_MS = 60_000;
let stallOverrideMs: number | undefined;

/**
 * How long an ffmpeg run may write nothing before the watchdog kills it: `setStallTimeoutMs`, else
 * `NEMO_FFMPEG_STALL_MS` from the environment (tests), else 60 s.
 */
export function stallTimeoutMs(): number {
  if (stallOverrideMs !== undefined) return stallOverrideMs;
  const fromEnv = Number(process.env.NEMO_FFMPEG_STALL_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_STALL_MS;
}

/** Sets (or with `undefined` resets) the watchdog's timeout for every later run. */
export function setStallTimeoutMs(ms: number | undefined): void {
  stallOverrideMs = ms;
}

export interface RunOutput {
  stdout: string;
  stderr: string;
}

const STDERR_KEEP = 64 * 1024;
const KILL_GRACE_MS = 2000;

/**
 * Spawns a binary with an argv array (never a shell) and waits for it. On abort it sends SIGTERM,
 * then SIGKILL after a grace period, and rejects with `EngineAbortedError`; a non-zero exit rejects
 * with `FfmpegFailedError` carrying the last stderr lines.
 */
export function runProcess(command: string, args: readonly string[], opts: RunOptions): Promise<RunOutput> {
  if (opts.signal?.aborted) return Promise.reject(new EngineAbortedError());
  for (const observe of observers) observe({ command, args, purpose: opts.purpose });
  return new Promise((resolve, reject) => {
    const stdio: ('ignore' | 'pipe')[] = [
      'ignore',
      'pipe',
      'pipe',
      ...(opts.progressFd ? ['pipe' as const] : []),
    ];
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio,
    }) as ChildProcessByStdio<null, Readable, Readable>;
    let stdout = '';
    let pending = '';
    let stderr = '';
    let aborted = false;
    let stalled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // The stall watchdog: re-armed by every write of the child.
    const stallMs = opts.stallMs === false ? undefined : (opts.stallMs ?? stallTimeoutMs());
    let stallTimer: NodeJS.Timeout | undefined;
    const alive = (): void => {
      if (stallMs === undefined || stalled || aborted) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        stop();
      }, stallMs);
    };
    alive();
    child.stdio[3]?.on('data', alive);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      alive();
      if (opts.keepStdout !== false) stdout += chunk;
      if (!opts.onStdoutLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) opts.onStdoutLine(line.trim());
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      alive();
      stderr += chunk;
      if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(-STDERR_KEEP);
    });
    const finish = (err?: Error): void => {
      clearTimeout(killTimer);
      clearTimeout(stallTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout, stderr });
    };
    child.on('error', (err) => finish(err));
    child.on('close', (code) => {
      if (aborted) finish(new EngineAbortedError());
      else if (stalled) finish(new FfmpegStalledError(stallMs ?? 0, command, lastLines(stderr, 12)));
      else if (code !== 0) finish(new FfmpegFailedError(code, lastLines(stderr, 12), command));
      else finish();
    });
  });
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
