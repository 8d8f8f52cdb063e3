import { spawn } from 'node:child_process';
import { childEnv } from './child-env.js';
import { EngineAbortedError, FfmpegFailedError } from './errors.js';

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
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let pending = '';
    let stderr = '';
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (opts.keepStdout !== false) stdout += chunk;
      if (!opts.onStdoutLine) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) opts.onStdoutLine(line.trim());
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(-STDERR_KEEP);
    });
    const finish = (err?: Error): void => {
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout, stderr });
    };
    child.on('error', (err) => finish(err));
    child.on('close', (code) => {
      if (aborted) finish(new EngineAbortedError());
      else if (code !== 0) finish(new FfmpegFailedError(code, lastLines(stderr, 12), command));
      else finish();
    });
  });
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
