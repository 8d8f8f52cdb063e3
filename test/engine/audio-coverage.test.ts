import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectPauses } from '../../src/engine/analysis/silence.js';
import { localEdit } from '../../src/engine/index.js';
import { ffmpeg, streamDurations, tempDir } from '../helpers/media.js';
import { makeSpeechClip, type SpeechClip } from '../helpers/speech-media.js';

const FRAME_MS = 1000 / 30;
let dir: string;
let cleanup: () => Promise<void>;
let clip: SpeechClip;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-coverage-'));
  // Video 0–4 s; the audio starts 0.67 s late (-itsoffset) with speech at once and ends about 2.3 s in.
  clip = await makeSpeechClip(dir, 'late-audio.mp4', {
    phrases: ['Hello there, welcome.'],
    pausesS: [0, 0.3],
    video: true,
    audioOffsetS: 0.67,
    videoDurationS: 4,
  });
}, 60_000);
afterAll(() => cleanup());

/** Where the first sound is in `file` (end of its leading silence at −50 dBFS), ms. */
async function firstSoundMs(file: string): Promise<number> {
  const log = await ffmpeg([
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    'silencedetect=n=-50dB:d=0.05',
    '-f',
    'null',
    '-',
  ]);
  const end = /silence_end: ([\d.]+)/.exec(log);
  return end ? Number(end[1]) * 1000 : 0;
}

describe('where the audio does not cover the video, it counts as silence', () => {
  it('detectPauses reports the stretch before a late audio start and after an early end', async () => {
    const { silences } = await detectPauses('ffmpeg', clip.file);
    const speech = clip.speech[0]!;
    expect(silences[0]?.startMs).toBe(0);
    expect(Math.abs((silences[0]?.endMs ?? 0) - speech.startMs)).toBeLessThanOrEqual(50);
    const last = silences[silences.length - 1]!;
    expect(Math.abs(last.startMs - speech.endMs)).toBeLessThanOrEqual(50);
    expect(last.endMs).toBeGreaterThanOrEqual(3990);
  });

  it('"trim silences" cuts the uncovered stretches and keeps the speech in sync', async () => {
    const out = path.join(dir, 'late-audio-cut.mp4');
    const result = await localEdit({ files: [clip.file], instruction: 'trim silences', outPath: out });
    const keeps = result.draft.t[0]!.sg.map((s) => ({ startMs: s.m!.in!, endMs: s.m!.in! + s.d }));
    const speech = clip.speech[0]!;
    // One piece: the speech with its 0.2 s margins, not the silent 0–0.67 s nor the audio-less tail.
    expect(keeps).toHaveLength(1);
    expect(Math.abs(keeps[0]!.startMs - (speech.startMs - 200))).toBeLessThanOrEqual(FRAME_MS + 50);
    expect(Math.abs(keeps[0]!.endMs - (speech.endMs + 200))).toBeLessThanOrEqual(FRAME_MS + 50);
    // In sync: the speech starts 0.2 s into the output, and audio and video end together.
    expect(Math.abs((await firstSoundMs(out)) - 200)).toBeLessThanOrEqual(FRAME_MS + 30);
    const d = await streamDurations(out);
    expect(Math.abs(d.video! - d.audio!)).toBeLessThanOrEqual(FRAME_MS / 1000 + 0.03);
    expect(Math.abs(d.video! * 1000 - (keeps[0]!.endMs - keeps[0]!.startMs))).toBeLessThanOrEqual(
      FRAME_MS + 1,
    );
  }, 180_000);

  it('a cut from 0 keeps late audio late: the speech starts 0.67 s in, as in the source', async () => {
    const out = path.join(dir, 'late-audio-trim.mp4');
    await localEdit({ files: [clip.file], instruction: 'trim to 3s', outPath: out });
    expect(Math.abs((await firstSoundMs(out)) - clip.speech[0]!.startMs)).toBeLessThanOrEqual(FRAME_MS + 30);
    const d = await streamDurations(out);
    expect(Math.abs(d.audio! - 3)).toBeLessThanOrEqual(FRAME_MS / 1000 + 0.03);
  }, 180_000);
});
