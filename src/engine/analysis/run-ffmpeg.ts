import { type RunOutput, runProcess } from '../process.js';

/**
 * Runs an ffmpeg analysis pass (never an encode) through the engine's process runner, with
 * `-nostdin -hide_banner -nostats -progress pipe:3` prepended (progress feeds the stall watchdog). Rejects with `FfmpegFailedError` on a non-zero exit and
 * `EngineAbortedError` when `signal` aborts. The runner keeps only the tail of long stderr output, so
 * anything that can be long (one line per silence, per utterance) is read from stdout instead.
 */
export function runFfmpeg(ffmpegPath: string, args: string[], signal?: AbortSignal): Promise<RunOutput> {
  // `-progress pipe:3`: a progress report on fd 3 every half second keeps the stall watchdog quiet while
  // the pass works, without touching the stdout/stderr the callers parse.
  return runProcess(ffmpegPath, ['-nostdin', '-hide_banner', '-nostats', '-progress', 'pipe:3', ...args], {
    purpose: 'analysis',
    signal,
    progressFd: true,
  });
}

/** The input duration ffmpeg logged (`Duration: HH:MM:SS.cc`) in ms, or `undefined` (e.g. `N/A`). */
export function loggedDurationMs(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d+):([\d.]+)/.exec(stderr);
  return m ? Math.round(((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000) : undefined;
}
