import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptionsError,
  findWhisperBinary,
  loadCaptions,
  NoTranscriberError,
  POCKETSPHINX_MODEL_DIR,
} from '../../src/engine/captions/index.js';
import { cuesFromAsrMetadata } from '../../src/engine/captions/pocketsphinx.js';
import { EditInputError } from '../../src/engine/errors.js';
import { ffmpeg, probeStreams, tempDir } from '../helpers/media.js';

const FFMPEG = 'ffmpeg';

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
const savedEnv = { PATH: process.env.PATH, WHISPER_CPP_BIN: process.env.WHISPER_CPP_BIN };

function restoreEnv(): void {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

async function durationMs(path: string): Promise<number> {
  return Number((await probeStreams(path)).format.duration) * 1000;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-captions-'));
  clip = join(dir, 'tone.wav');
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=2', clip]);
});
afterAll(() => cleanup());
afterEach(restoreEnv);

describe('loadCaptions from a file', () => {
  it('reads SRT and VTT files, and a file wins over every transcriber', async () => {
    const srt = join(dir, 'subs.srt');
    writeFileSync(srt, '1\n00:00:00,500 --> 00:00:01,500\nHello\n');
    const vtt = join(dir, 'subs.vtt');
    writeFileSync(vtt, 'WEBVTT\n\n00:00.500 --> 00:01.500\n<v A>Hello</v>\n');
    const sniffed = join(dir, 'subs.txt');
    writeFileSync(sniffed, 'WEBVTT\n\n00:00.500 --> 00:01.500\nHello\n');
    for (const captionsPath of [srt, vtt, sniffed]) {
      const loaded = await loadCaptions({
        captionsPath,
        asrModelPath: join(dir, 'nope.bin'),
        mediaPath: clip,
        ffmpegPath: FFMPEG,
        filters: new Set(['asr']),
      });
      expect(loaded).toEqual({ source: 'file', cues: [{ startMs: 500, endMs: 1500, text: 'Hello' }] });
    }
  });

  it('rejects a missing or cue-less file with CaptionsError', async () => {
    const empty = join(dir, 'empty.srt');
    writeFileSync(empty, 'nothing here\n');
    const base = { mediaPath: clip, ffmpegPath: FFMPEG, filters: new Set<string>() };
    await expect(loadCaptions({ ...base, captionsPath: empty })).rejects.toThrow(/no captions found in/);
    await expect(loadCaptions({ ...base, captionsPath: join(dir, 'missing.srt') })).rejects.toBeInstanceOf(
      CaptionsError,
    );
  });
});

describe('loadCaptions with no transcriber', () => {
  it('throws NoTranscriberError naming --captions, --asr-model and pocketsphinx', async () => {
    process.env.PATH = join(dir, 'empty-path');
    const err = await loadCaptions({
      mediaPath: clip,
      ffmpegPath: FFMPEG,
      filters: new Set(['loudnorm']),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoTranscriberError);
    // The CLI reports it like any other unusable edit input.
    expect(err).toBeInstanceOf(EditInputError);
    const message = (err as Error).message;
    expect(message).toContain('--captions');
    expect(message).toContain('--asr-model');
    expect(message).toContain('apt-get install pocketsphinx-en-us');
    expect(message).toContain('no asr filter');
  });
});

describe('loadCaptions with a whisper.cpp model', () => {
  const model = (): string => {
    const p = join(dir, 'ggml-test.bin');
    writeFileSync(p, 'lmgg: not a real model, only the ggml magic');
    return p;
  };

  it('says so clearly when the model is given but whisper.cpp is not installed', async () => {
    process.env.PATH = join(dir, 'empty-path');
    delete process.env.WHISPER_CPP_BIN;
    const opts = { asrModelPath: model(), mediaPath: clip, ffmpegPath: FFMPEG, filters: new Set(['asr']) };
    await expect(loadCaptions(opts)).rejects.toThrow(/whisper\.cpp is not installed/);
    await expect(loadCaptions({ ...opts, asrModelPath: join(dir, 'missing.bin') })).rejects.toThrow(
      /ASR model file not found/,
    );
  });

  it('runs the whisper.cpp CLI on a 16 kHz mono WAV and reads the SRT it writes', async () => {
    // whisper.cpp and its weights cannot be installed here; this executable stands in for `whisper-cli`
    // and checks the contract: -m <model> -f <16 kHz mono wav> -osrt -of <base>, SRT written to <base>.srt.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'whisper-cli');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'while [ $# -gt 0 ]; do case "$1" in -m) m=$2; shift;; -f) f=$2; shift;; -of) of=$2; shift;; -osrt) srt=1;; esac; shift; done',
        '[ -f "$m" ] && [ -f "$f" ] && [ "$srt" = 1 ] || { echo "bad argv" >&2; exit 3; }',
        'info=$(ffprobe -v error -show_entries stream=sample_rate,channels -of csv=p=0 "$f")',
        '[ "$info" = "16000,1" ] || { echo "bad wav: $info" >&2; exit 4; }',
        'printf "1\\n00:00:00,250 --> 00:00:01,750\\nhello from whisper\\n" > "$of.srt"',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    process.env.PATH = `${bin}:${savedEnv.PATH}`;
    const loaded = await loadCaptions({
      asrModelPath: model(),
      mediaPath: clip,
      ffmpegPath: FFMPEG,
      filters: new Set(),
    });
    expect(loaded).toEqual({
      source: 'whisper',
      cues: [{ startMs: 250, endMs: 1750, text: 'hello from whisper' }],
    });
  });

  it('finds WHISPER_CPP_BIN first, and a `main` on PATH only when it is whisper.cpp', async () => {
    const bin = join(dir, 'bin2');
    mkdirSync(bin, { recursive: true });
    const other = join(bin, 'main');
    writeFileSync(other, '#!/bin/sh\necho "usage: main [something else]"\n');
    chmodSync(other, 0o755);
    expect(await findWhisperBinary({ PATH: bin })).toBeUndefined();
    writeFileSync(
      other,
      '#!/bin/sh\necho "usage: ./main [options] file0.wav  -m FNAME [models/ggml-base.en.bin]"\n',
    );
    expect(await findWhisperBinary({ PATH: bin })).toBe(other);
    expect(await findWhisperBinary({ PATH: '', WHISPER_CPP_BIN: other })).toBe(other);
    expect(await findWhisperBinary({ PATH: bin, WHISPER_CPP_BIN: join(bin, 'missing') })).toBeUndefined();
  });
});

describe('cuesFromAsrMetadata', () => {
  it('times each utterance from the silences around it and splits long ones', () => {
    const printed = [
      'frame:3    pts:4442    pts_time:0.277625',
      'lavfi.silence_start=0',
      'frame:10   pts:14845   pts_time:0.927813',
      'lavfi.silence_end=1.00169',
      'lavfi.silence_duration=1.00169',
      'frame:25   pts:37136   pts_time:2.321',
      'lavfi.silence_start=2.038',
      'frame:27   pts:40108   pts_time:2.50675',
      'lavfi.asr.text=welcome to the show',
      'frame:41   pts:60913   pts_time:3.80706',
      'lavfi.silence_end=3.88031',
      'frame:79   pts:117384  pts_time:7.3365',
      'lavfi.asr.text=today we talk about video editing on your own computer at home',
      '',
    ].join('\n');
    const cues = cuesFromAsrMetadata(printed, 7000);
    expect(cues[0]).toEqual({ startMs: 1002, endMs: 2038, text: 'welcome to the show' });
    // No silence after the second utterance: it ends at the report time, clamped to the duration.
    expect(cues.slice(1).map((c) => c.text)).toEqual([
      'today we talk about video editing on',
      'your own computer at home',
    ]);
    expect(cues[1]?.startMs).toBe(3880);
    expect(cues[2]?.startMs).toBe(cues[1]?.endMs);
    expect(cues[2]?.endMs).toBe(7000);
  });
  it('keeps a pause inside one utterance inside its cue, also when the media starts with speech', () => {
    const printed = [
      'frame:90   pts:90000   pts_time:2.0',
      'lavfi.silence_start=2.0',
      'frame:115  pts:115000  pts_time:2.5',
      'lavfi.silence_end=2.5',
      'frame:200  pts:200000  pts_time:4.0',
      'lavfi.silence_start=4.0',
      'frame:210  pts:210000  pts_time:4.4',
      'lavfi.asr.text=one two',
      '',
    ].join('\n');
    expect(cuesFromAsrMetadata(printed)).toEqual([{ startMs: 0, endMs: 4000, text: 'one two' }]);
  });
});

describe('loadCaptions with pocketsphinx (Debian: ffmpeg asr filter + pocketsphinx-en-us)', () => {
  it('transcribes espeak-ng speech into ordered, non-empty cues that avoid the pauses', async () => {
    // Precondition, stated rather than skipped: CI installs pocketsphinx-en-us and espeak-ng.
    expect(
      existsSync(join(POCKETSPHINX_MODEL_DIR, 'en-us.lm.bin')),
      'apt-get install pocketsphinx-en-us',
    ).toBe(true);
    const a = join(dir, 'a.wav');
    const b = join(dir, 'b.wav');
    execFileSync('espeak-ng', ['-w', a, 'Welcome to the show about editing videos.']);
    execFileSync('espeak-ng', ['-w', b, 'Thanks for watching, and see you next time.']);
    const speech = join(dir, 'speech.wav');
    // 1 s silence, sentence A, 2 s silence, sentence B, 1 s silence.
    const pause = (s: number, l: string): string => `anullsrc=r=22050:cl=mono,atrim=0:${s}[${l}]`;
    await ffmpeg([
      ...['-i', a, '-i', b],
      ...[
        '-filter_complex',
        `${pause(1, 'p0')};${pause(2, 'p1')};${pause(1, 'p2')};[p0][0:a][p1][1:a][p2]concat=n=5:v=0:a=1[s]`,
      ],
      ...['-map', '[s]', speech],
    ]);
    const aEnd = 1000 + (await durationMs(a));
    const bStart = aEnd + 2000;
    const total = await durationMs(speech);

    // filters omitted: loadCaptions probes this ffmpeg for the asr filter.
    const { cues, source } = await loadCaptions({ mediaPath: speech, ffmpegPath: FFMPEG });
    expect(source).toBe('pocketsphinx');
    expect(cues.length).toBeGreaterThanOrEqual(2);
    let previousEnd = 0;
    for (const c of cues) {
      expect(c.text.trim().length).toBeGreaterThan(0);
      expect(c.startMs).toBeGreaterThanOrEqual(previousEnd);
      expect(c.endMs).toBeGreaterThan(c.startMs);
      expect(c.endMs).toBeLessThanOrEqual(total);
      previousEnd = c.endMs;
    }
    // Nothing is captioned during the leading silence or the middle of the pause between the sentences.
    expect(cues[0]?.startMs).toBeGreaterThan(800);
    const midPause = (aEnd + bStart) / 2;
    expect(cues.some((c) => c.startMs < midPause && c.endMs > midPause)).toBe(false);
    expect(cues.some((c) => c.startMs >= bStart - 300)).toBe(true);
  });
});
