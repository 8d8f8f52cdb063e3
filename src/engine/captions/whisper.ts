import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runFfmpeg } from '../analysis/run-ffmpeg.js';
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
  if (!existsSync(modelPath)) throw new CaptionsError(`ASR model file not found: ${modelPath}`);
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
    await runProcess(bin, ['-m', modelPath, '-f', wav, '-osrt', '-of', base], {
      purpose: 'analysis',
      signal,
    });
    // Builds without -of write <input>.srt next to the input.
    const srt = [`${base}.srt`, `${wav}.srt`].find((p) => existsSync(p));
    if (!srt) throw new CaptionsError(`whisper.cpp (${bin}) wrote no SRT file`);
    return parseSrt(readFileSync(srt, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
