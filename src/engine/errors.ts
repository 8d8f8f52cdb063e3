/** Errors the on-device engine throws. The CLI maps their `kind` to exit codes. */
import { type ErrorKind, NemoBaseError } from '../base/errors.js';

export class EngineError extends NemoBaseError {
  static override defaultCode = 'engine';
}

/** No ffmpeg/ffprobe binary could be found; the message says how to install one. */
export class FfmpegNotFoundError extends EngineError {
  static override defaultCode = 'ffmpeg_missing';
  constructor(
    readonly tool: 'ffmpeg' | 'ffprobe',
    readonly tried: string[],
  ) {
    super(
      `${tool} not found (tried: ${tried.join(', ')}). Install ffmpeg: \`apt-get install ffmpeg\` (Debian/Ubuntu), ` +
        `\`brew install ffmpeg\` (macOS), or set ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} to the binary.`,
    );
  }
}

/** ffmpeg (or ffprobe) exited with an error. `stderrTail` holds its last stderr lines. */
export class FfmpegFailedError extends EngineError {
  static override defaultCode = 'ffmpeg_failed';
  constructor(
    readonly exitCode: number | null,
    readonly stderrTail: string,
    what = 'ffmpeg',
  ) {
    super(
      `${what} failed (exit ${exitCode ?? 'signal'}): ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
}

/** ffmpeg wrote nothing for the watchdog's whole timeout and was killed (a stalled or runaway run). */
export class FfmpegStalledError extends EngineError {
  static override defaultCode = 'ffmpeg_stalled';
  constructor(
    readonly stallMs: number,
    what: string,
    readonly stderrTail = '',
  ) {
    super(
      `${what.split(/[\\/]/).pop()} made no progress for ${stallMs >= 1000 ? `${Math.round(stallMs / 1000)} s` : `${stallMs} ms`} and was stopped ` +
        `(the input may be damaged, or the edit too large for this machine)`,
    );
  }
}

/** The work was aborted through its AbortSignal (Ctrl-C); no partial output is left behind. */
export class EngineAbortedError extends EngineError {
  static override defaultKind: ErrorKind = 'interrupted';
  static override defaultCode = 'interrupted';
  constructor() {
    super('aborted');
  }
}

/** Some clauses of the instruction map to no operation. The CLI exits 2 and lists `supported`. */
export class UnknownInstructionError extends EngineError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'unknown_instruction';
  constructor(
    readonly unknown: string[],
    readonly supported: readonly string[],
  ) {
    super(
      `I don't know how to do: ${unknown.map((u) => JSON.stringify(u)).join(', ')}. ` +
        `Supported: ${supported.join('; ')}.`,
    );
  }
}

/** The edit cannot be done with this input (e.g. captions without a source, music without a file). */
export class EditInputError extends EngineError {
  static override defaultKind: ErrorKind = 'usage';
  static override defaultCode = 'bad_input';
}

/** A draft key holds a value the engine cannot use (`model/parse.ts`); `where` names it (`draft.t[0].sg[2].m.speed`). */
export class MalformedDraftError extends EditInputError {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`malformed draft: ${problem}`);
  }
}

/**
 * What to throw for `err` when `signal` may have fired: some analysis passes reject with the signal's
 * reason, but callers of the engine always get `EngineAbortedError` for an abort.
 */
export function abortAware(err: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted && !(err instanceof EngineAbortedError) ? new EngineAbortedError() : err;
}
