import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptionsError, checkAsrModel, loadCaptions } from '../../src/engine/captions/index.js';
import { wordErrorRate } from '../../src/engine/captions/wer.js';
import { EditInputError } from '../../src/engine/errors.js';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { makeSpeechClip } from '../helpers/speech-media.js';

let dir: string;
let cleanup: () => Promise<void>;
const savedEnv = { PATH: process.env.PATH, WHISPER_CPP_BIN: process.env.WHISPER_CPP_BIN };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-wer-'));
});
afterAll(() => cleanup());
afterEach(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('wordErrorRate (word-level Levenshtein / reference words)', () => {
  it('is 0 for the same words, whatever the case and punctuation', () => {
    expect(wordErrorRate('Hello, world! Don\u2019t stop.', "hello world don't stop")).toEqual({
      wer: 0,
      substitutions: 0,
      deletions: 0,
      insertions: 0,
      referenceWords: 4,
    });
  });

  it('counts substitutions, deletions and insertions along the cheapest alignment', () => {
    expect(wordErrorRate('the cat sat on the mat', 'the cat sit on mat')).toMatchObject({
      substitutions: 1,
      deletions: 1,
      insertions: 0,
      wer: 2 / 6,
    });
    expect(wordErrorRate('one two three', 'one two two three four')).toMatchObject({
      substitutions: 0,
      deletions: 0,
      insertions: 2,
      wer: 2 / 3,
    });
    expect(wordErrorRate('a b c d', 'x y')).toMatchObject({ wer: 1, substitutions: 2, deletions: 2 });
    expect(wordErrorRate('a b', '')).toMatchObject({ wer: 1, deletions: 2 });
  });

  it('can exceed 1, and an empty reference is 0 only against an empty transcript', () => {
    expect(wordErrorRate('yes', 'no no no').wer).toBe(3);
    expect(wordErrorRate('', '').wer).toBe(0);
    expect(wordErrorRate('', 'extra').wer).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("today's pocketsphinx captions on espeak-ng speech of known text", () => {
  it('are measured: the word error rate of two sentences (reported, with an upper bound)', async () => {
    const phrases = [
      'Welcome to the show about editing videos.',
      'Thanks for watching, and see you next time.',
    ];
    const clip = await makeSpeechClip(dir, 'wer.wav', { phrases, pausesS: [0.6, 1, 0.6] });
    const { cues, source } = await loadCaptions({ mediaPath: clip.file, ffmpegPath: 'ffmpeg' });
    expect(source).toBe('pocketsphinx');
    const errors = wordErrorRate(phrases.join(' '), cues.map((c) => c.text).join(' '));
    console.info(`pocketsphinx WER on espeak-ng speech: ${(errors.wer * 100).toFixed(0)} %`, errors);
    // Measured 50–80 % on this robotic voice: captions from pocketsphinx are rough drafts. Some words still land.
    expect(errors.referenceWords).toBe(15);
    expect(errors.wer).toBeLessThan(0.95);
  }, 300_000);
});

describe('--asr-model checks (whisper.cpp ggml models)', () => {
  const write = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('accepts a file with the ggml magic', () => {
    expect(() =>
      checkAsrModel(write('ggml-tiny.bin', Buffer.concat([Buffer.from('lmgg'), Buffer.alloc(64)]))),
    ).not.toThrow();
  });

  it('rejects a missing file, a folder, an empty file and a file that is not a ggml model, as bad input', () => {
    const folder = join(dir, 'models');
    mkdirSync(folder, { recursive: true });
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.bin'), /ASR model file not found: .*missing\.bin/],
      [folder, /is not a file/],
      [write('empty.bin', ''), /not a whisper\.cpp model: it is empty/],
      [
        write('model.gguf', 'GGUF\u0003\u0000'),
        /not a whisper\.cpp model: it starts with "GGUF".*ggml-base\.en\.bin/,
      ],
      [write('notes.txt', 'hello'), /not a whisper\.cpp model: it starts with "hell"/],
    ];
    for (const [path, message] of cases) {
      let err: unknown;
      try {
        checkAsrModel(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptionsError);
      expect(err).toBeInstanceOf(EditInputError);
      expect((err as CaptionsError).kind).toBe('usage');
      expect((err as Error).message).toMatch(message);
    }
  });

  it('checks the model before looking for whisper.cpp, and a whisper.cpp that fails is a CaptionsError', async () => {
    const clip = join(dir, 'tone.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:r=16000:d=1', clip]);
    process.env.PATH = join(dir, 'empty-path');
    delete process.env.WHISPER_CPP_BIN;
    const base = { mediaPath: clip, ffmpegPath: 'ffmpeg', filters: new Set<string>() };
    await expect(loadCaptions({ ...base, asrModelPath: write('bad.bin', 'not a model') })).rejects.toThrow(
      /not a whisper\.cpp model/,
    );
    // A model with the right magic that whisper.cpp cannot load (truncated): its own words, as bad input.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'whisper-cli');
    writeFileSync(fake, '#!/bin/sh\necho "whisper_model_load: invalid model data (bad magic)" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    process.env.PATH = `${bin}:${savedEnv.PATH}`;
    const truncated = write('ggml-truncated.bin', 'lmgg');
    const err = await loadCaptions({ ...base, asrModelPath: truncated }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptionsError);
    expect((err as Error).message).toMatch(
      /whisper\.cpp \(.*whisper-cli\) failed \(exit 3\): .*invalid model data/,
    );
  });
});
