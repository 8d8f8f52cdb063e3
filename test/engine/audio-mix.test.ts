import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmsOverWindows } from '../../src/engine/analysis/audio-filters.js';
import { EditInputError, localEdit } from '../../src/engine/index.js';
import { makeClip, makeTone, probeStreams, streamDurations, tempDir } from '../helpers/media.js';

let dir: string;
let cleanup: () => Promise<void>;
let voice: string;
let music: string;

// The music band only: a narrow bandpass around the 220 Hz music tone (the voice tone is 1 kHz).
const MUSIC_BAND = { filter: 'bandpass=f=220:width_type=q:w=8,bandpass=f=220:width_type=q:w=8' };
const SPEECH = { startMs: 400, endMs: 1400 };
const GAP = { startMs: 1700, endMs: 2700 };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // "Speech" 0–1.5 s and 3–4 s, silence in between (no trim: the gap stays).
  voice = await makeClip(path.join(dir, 'voice.mp4'), {
    durationS: 4,
    frequency: 1000,
    audio: [
      [0, 1.5],
      [3, 4],
    ],
  });
  music = await makeTone(path.join(dir, 'music.wav'), 1.5, 220, 0.5);
});
afterAll(() => cleanup());

describe('audio tracks, measured on the output', () => {
  it('background music loops under the whole video and is ducked while speech plays', async () => {
    const out = path.join(dir, 'music.mp4');
    const result = await localEdit({
      files: [voice],
      instruction: 'add background music',
      musicPath: music,
      outPath: out,
    });
    expect(result.notes[0]).toMatch(/ducked under speech/);
    const d = await streamDurations(out);
    expect(Math.abs(d.audio! - 4)).toBeLessThanOrEqual(0.05);
    const [during, gap] = await rmsOverWindows('ffmpeg', out, [SPEECH, GAP], '0:a:0', MUSIC_BAND);
    // The music is present (looped past its 1.5 s) and several dB lower under the speech.
    expect(gap!).toBeGreaterThan(-40);
    expect(during!).toBeLessThan(gap! - 3);
  });

  it('mute removes the audio stream; mute + music keeps only the music', async () => {
    const muted = path.join(dir, 'muted.mp4');
    await localEdit({ files: [voice], instruction: 'mute', outPath: muted });
    expect((await probeStreams(muted)).streams.some((s) => s.codec_type === 'audio')).toBe(false);

    const musicOnly = path.join(dir, 'music-only.mp4');
    await localEdit({ files: [voice], instruction: `mute, add music ${music}`, outPath: musicOnly });
    const d = await streamDurations(musicOnly);
    expect(Math.abs(d.audio! - 4)).toBeLessThanOrEqual(0.05);
    const [voiceBand] = await rmsOverWindows('ffmpeg', musicOnly, [SPEECH], '0:a:0', {
      filter: 'bandpass=f=1000:width_type=q:w=8,bandpass=f=1000:width_type=q:w=8',
    });
    const [musicBand] = await rmsOverWindows('ffmpeg', musicOnly, [SPEECH], '0:a:0', MUSIC_BAND);
    expect(musicBand!).toBeGreaterThan(voiceBand! + 20);
  });

  it('music without a file is an input error naming --music', async () => {
    const err = await localEdit({
      files: [voice],
      instruction: 'add background music',
      outPath: path.join(dir, 'x.mp4'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EditInputError);
    expect((err as Error).message).toMatch(/--music/);
  });
});
