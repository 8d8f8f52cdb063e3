import { spawn } from 'node:child_process';

export interface FfmpegRun {
  stdout: string;
  stderr: string;
}

/** An analysis run of ffmpeg that exited non-zero; `stderrTail` holds its last lines. */
export class AnalysisFailedError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(`ffmpeg analysis failed (exit ${exitCode ?? 'signal'}): ${stderrTail || '(no output)'}`);
    this.name = 'AnalysisFailedError';
  }
}

/**
 * Runs ffmpeg (an analysis pass, never an encode to a user file) with `-nostdin -hide_banner -nostats`
 * prepended, collects stdout and stderr, and resolves when it exits 0. An aborted `signal` kills ffmpeg
 * and rejects with the signal's reason.
 */
export function runFfmpeg(ffmpegPath: string, args: string[], signal?: AbortSignal): Promise<FfmpegRun> {
  const argv = ['-nostdin', '-hide_banner', '-nostats', ...args];
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(ffmpegPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8');
      if (signal?.aborted) reject(signal.reason);
      else if (code === 0) resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
      else reject(new AnalysisFailedError(argv, code, stderr.trim().split('\n').slice(-8).join('\n')));
    });
  });
}

/** `HH:MM:SS.cc` (as in ffmpeg's `Duration:` and `time=`) → milliseconds. */
export function clockToMs(clock: string): number {
  const [h, m, s] = clock.split(':').map(Number);
  return Math.round(((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000);
}
