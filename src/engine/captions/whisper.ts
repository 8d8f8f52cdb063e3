import { execFile } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runFfmpeg } from '../analysis/run-ffmpeg.js';
import { FfmpegFailedError } from '../errors.js';
import { runProcess } from '../process.js';
import { CaptionsError } from './errors.js';
import { type Cue, parseSrt } from './subtitles.js';

/** Binary names of whisper.cpp's CLI, newest first (`main` was its name before 2024). */
const NAMES = ['whisper-cli', 'whisper-cpp', 'main'] as const;

/**
 * The whisper.cpp CLI to run: `WHISPER_CPP_BIN` when set, else the first of `whisper-cli`, `whisper-cpp`,
 * `main` on PATH (`main` only when its `--help` mentions whisper, the name being generic), else `undefined`.
 */
export async function findWhisperBinary(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.WHISPER_CPP_BIN) return isExecutable(env.WHISPER_CPP_BIN) ? env.WHISPER_CPP_BIN : undefined;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (!isExecutable(candidate)) continue;
      if (name !== 'main' || (await helpMentionsWhisper(candidate))) return candidate;
    }
  }
  return undefined;
}

/**
 * Transcribes with whisper.cpp and a ggml model file the user supplied (never downloaded): the first audio
 * stream goes to a 16 kHz mono WAV in a temp dir, then `<bin> -m <model> -f <wav> -osrt -of <base>`, and the
 * SRT it writes is parsed. Throws `CaptionsError` when the model or the binary is missing.
 */
export async function transcribeWithWhisper(
  ffmpegPath: string,
  mediaPath: string,
  modelPath: string,
  signal?: AbortSignal,
): Promise<Cue[]> {
  checkAsrModel(modelPath);
  const bin = await findWhisperBinary();
  if (!bin) {
    throw new CaptionsError(
      `--asr-model was given but whisper.cpp is not installed: no whisper-cli, whisper-cpp or main on PATH, ` +
        'and WHISPER_CPP_BIN is not set to an executable. Install whisper.cpp, or pass --captions subs.srt.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'nemo-whisper-'));
  try {
    const wav = join(dir, 'audio.wav');
    const base = join(dir, 'audio');
    await runFfmpeg(
      ffmpegPath,
      ['-y', '-i', mediaPath, '-map', '0:a:0', '-vn', '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', wav],
      signal,
    );
    // whisper.cpp may stay quiet for long on a big model: no stall watchdog (Ctrl-C still stops it).
    await runWhisper(bin, ['-m', modelPath, '-f', wav, '-osrt', '-of', base], {
      purpose: 'analysis',
      signal,
      stallMs: false,
    });
    // Builds without -of write <input>.srt next to the input.
    const srt = [`${base}.srt`, `${wav}.srt`].find((p) => existsSync(p));
    if (!srt) throw new CaptionsError(`whisper.cpp (${bin}) wrote no SRT file`);
    return parseSrt(readFileSync(srt, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** whisper.cpp's model files begin with the ggml magic 0x67676d6c, written little-endian. */
const GGML_MAGIC = Buffer.from('lmgg', 'latin1');

/**
 * Checks `--asr-model` before anything runs: a readable regular file that begins with the ggml magic of
 * whisper.cpp's models (ggml-base.en.bin and the like). Throws `CaptionsError` (a bad input: exit 2) saying
 * what is wrong; cheap (reads 4 bytes), so callers can run it up front.
 */
export function checkAsrModel(modelPath: string): void {
  let size: number;
  try {
    const st = statSync(modelPath);
    if (!st.isFile()) throw new CaptionsError(`ASR model ${modelPath} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof CaptionsError) throw e;
    throw new CaptionsError(`ASR model file not found: ${modelPath}`);
  }
  const head = Buffer.alloc(4);
  let read = 0;
  try {
    const fd = openSync(modelPath, 'r');
    try {
      read = readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new CaptionsError(`cannot read ASR model ${modelPath}: ${(e as Error).message}`);
  }
  if (read < 4 || !head.equals(GGML_MAGIC)) {
    const what =
      size === 0
        ? 'it is empty'
        : `it starts with ${JSON.stringify(head.subarray(0, read).toString('latin1'))}`;
    throw new CaptionsError(
      `ASR model ${modelPath} is not a whisper.cpp model: ${what}, not the ggml magic. ` +
        'Use a ggml model file such as ggml-base.en.bin.',
    );
  }
}

/** Runs whisper.cpp; its failure (a model it cannot load, a WAV it rejects) is a `CaptionsError`. */
async function runWhisper(
  bin: string,
  args: string[],
  opts: Parameters<typeof runProcess>[2],
): Promise<void> {
  try {
    await runProcess(bin, args, opts);
  } catch (e) {
    if (!(e instanceof FfmpegFailedError)) throw e;
    const tail = e.stderrTail.trim().split('\n').slice(-5).join(' | ');
    throw new CaptionsError(`whisper.cpp (${bin}) failed (exit ${e.exitCode ?? 'signal'}): ${tail}`, {
      cause: e,
    });
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function helpMentionsWhisper(bin: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(bin, ['--help'], { timeout: 5000 }, (_err, stdout, stderr) => {
      resolve(/whisper|ggml/i.test(`${stdout}${stderr}`));
    });
  });
}
