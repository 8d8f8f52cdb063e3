/**
 * One join of inputs that differ in every way cameras and phones differ: size, frame rate, codec and
 * container (H.264, HEVC 10-bit, VP9/WebM, ProRes/MOV, 10-bit H.264), sample rate (44.1/48 kHz),
 * channels (mono/stereo/5.1), a clip without audio, a still image. And clips with two audio streams.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EditInputError, type LocalEditEvent, localEdit } from '../../src/engine/index.js';
import { probeStreams, tempDir } from '../helpers/media.js';
import {
  decodeErrors,
  makeCodecClip,
  makePhoneClip,
  makeStill,
  makeTwoAudioClip,
  silencesOf,
  toneLevelDb,
} from '../helpers/phone-media.js';

// Real encodes on a shared, loaded machine: generous per-test time (no wall-clock assertion anywhere).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-mixed-'));
});
afterAll(() => cleanup());

describe('a join of mixed inputs', () => {
  it('decodes cleanly as 8-bit yuv420p H.264 of the summed length, with continuous audio where the clips have it', async () => {
    const p = (name: string) => path.join(dir, name);
    const files = [
      await makePhoneClip(p('a-h264-441-mono.mp4'), { durationS: 1, sampleRate: 44100, layout: 'mono' }),
      await makeCodecClip(p('b-hevc10-51.mp4'), 'hevc', {
        durationS: 1,
        width: 640,
        height: 360,
        fps: 25,
        layout: '5.1',
      }),
      await makeCodecClip(p('c-vp9.webm'), 'vp9', { durationS: 1, width: 256, height: 256, fps: 24 }),
      await makePhoneClip(p('d-noaudio.mp4'), { durationS: 1, audio: 'none', width: 200, height: 400 }),
      await makeStill(p('e-still.png'), 400, 300),
      await makeCodecClip(p('f-prores.mov'), 'prores', { durationS: 1, sampleRate: 44100 }),
      await makeCodecClip(p('g-h264-10bit.mp4'), 'h264-10bit', { durationS: 1, fps: 60 }),
      await makeStill(p('h-still.jpg'), 300, 400),
    ];
    const out = p('mixed.mp4');
    const result = await localEdit({ files, instruction: 'join the clips', outPath: out });
    expect(await decodeErrors(out)).toBe('');
    const { streams, format } = await probeStreams(out);
    const video = streams.find((s) => s.codec_type === 'video')!;
    const audio = streams.find((s) => s.codec_type === 'audio')!;
    expect([video.codec_name, video.pix_fmt, video.width, video.height]).toEqual([
      'h264',
      'yuv420p',
      320,
      180,
    ]);
    // 6 clips of 1 s + 2 stills of 3 s.
    expect(Math.abs(Number(format.duration) - 12)).toBeLessThan(0.1);
    expect(result.render.durationMs).toBeCloseTo(12000, -2);
    expect([audio.codec_name, audio.sample_rate]).toEqual(['aac', '48000']);
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThan(0.1);
    // Sound wherever a clip has it; silence exactly where the clip without audio and the stills are
    // (3-4 s: no audio; 4-7 s: png; 9-12 s: jpg), nowhere else.
    const silences = await silencesOf(out);
    expect(silences.length).toBe(2);
    expect(silences[0]![0]).toBeCloseTo(3, 0);
    expect(silences[0]![1]).toBeCloseTo(7, 0);
    expect(silences[1]![0]).toBeCloseTo(9, 0);
  }, 300_000);
});

describe('several audio streams (cameras record two)', () => {
  let defaultSecond: string;
  beforeAll(async () => {
    defaultSecond = await makeTwoAudioClip(path.join(dir, 'two-audio.mp4'), 1.5, 1);
  });

  it('plays the stream marked default, says so, and keeps one audio stream', async () => {
    const events: LocalEditEvent[] = [];
    const out = path.join(dir, 'two-default.mp4');
    const result = await localEdit({
      files: [defaultSecond],
      instruction: 'export',
      outPath: out,
      onEvent: (e) => events.push(e),
    });
    const types = (await probeStreams(out)).streams.map((s) => s.codec_type);
    expect(types).toEqual(['video', 'audio']);
    // Stream #1 is the 1000 Hz one.
    expect((await toneLevelDb(out, 1000)) - (await toneLevelDb(out, 440))).toBeGreaterThan(15);
    const note = result.notes.find((n) => /audio streams/.test(n));
    expect(note).toMatch(/two-audio\.mp4 has 2 audio streams .*using #1 \(the default\)/);
    expect(events).toContainEqual({ type: 'note', note });
  });

  it('audioStream chooses another one', async () => {
    const out = path.join(dir, 'two-chosen.mp4');
    const result = await localEdit({
      files: [defaultSecond],
      instruction: 'export',
      outPath: out,
      audioStream: 0,
    });
    expect((await toneLevelDb(out, 440)) - (await toneLevelDb(out, 1000))).toBeGreaterThan(15);
    expect(result.notes.join('\n')).toMatch(/using #0 \(as asked\)/);
  });

  it('a stream the file does not have is refused before any work', async () => {
    const err = await localEdit({
      files: [defaultSecond],
      instruction: 'export',
      outPath: path.join(dir, 'two-bad.mp4'),
      audioStream: 5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EditInputError);
    expect((err as Error).message).toMatch(/has 2 audio streams \(#0–#1\); there is no #5/);
  });
});
