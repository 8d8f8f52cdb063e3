import { describe, expect, it } from 'vitest';
import { EditInputError, MalformedDraftError } from '../../src/engine/errors.js';
import {
  draftFx,
  framesToMs,
  msToFrames,
  parseDraft,
  setClipMeta,
  type Timebase,
  timebaseOf,
} from '../../src/engine/model/index.js';
import type { Draft } from '../../src/timeline/index.js';

const NTSC_FILM: Timebase = { num: 24000, den: 1001 };
const THIRTY: Timebase = { num: 30, den: 1 };

const clip = (extra: Record<string, unknown> = {}, d = 1000) => ({
  d,
  m: { src: '/a.mp4', in: 0, ...extra },
});

const draftOf = (m: Record<string, unknown>, segments = [clip()]): Draft => ({
  t: [{ tt: 0, sg: segments }],
  m: { width: 320, height: 180, fps: 30, ...m },
});

/** The error `parseDraft` throws for `draft`. */
function failure(draft: unknown): MalformedDraftError {
  try {
    parseDraft(draft as Draft);
  } catch (err) {
    if (err instanceof MalformedDraftError) return err;
    throw err;
  }
  throw new Error('parseDraft accepted the draft');
}

describe('engine model: timebase and the ms → frame rule', () => {
  it('recovers the fraction of a float fps', () => {
    expect(timebaseOf(30)).toEqual({ num: 30, den: 1 });
    expect(timebaseOf(24000 / 1001)).toEqual(NTSC_FILM);
    expect(timebaseOf(30000 / 1001)).toEqual({ num: 30000, den: 1001 });
    expect(timebaseOf(23.976)).toEqual({ num: 2997, den: 125 });
    expect(timebaseOf(1803000 / 60079)).toEqual({ num: 1803000, den: 60079 });
  });

  it('30 fps: the nearest frame, ties to the later one; frame-snapped and integer-ms values stay', () => {
    expect(msToFrames(0, THIRTY)).toBe(0);
    expect(msToFrames(1000, THIRTY)).toBe(30);
    expect(msToFrames(33.333, THIRTY)).toBe(1); // a frame-snapped value, µs-rounded
    expect(msToFrames(33, THIRTY)).toBe(1); // a probe's integer ms
    expect(msToFrames(67, THIRTY)).toBe(2);
    expect(msToFrames(1008, THIRTY)).toBe(30); // trim=duration=1.008 after fps=30 keeps 30 frames
    expect(msToFrames(1016.666, THIRTY)).toBe(30);
    expect(msToFrames(1016.667, THIRTY)).toBe(31); // 30.50001 frames
    expect(msToFrames(50, THIRTY)).toBe(2); // exactly 1.5 frames: the later one
    expect(framesToMs(31, THIRTY)).toBe(1033.333);
  });

  it('24000/1001: the same rule on a rational rate', () => {
    expect(msToFrames(1001, NTSC_FILM)).toBe(24);
    expect(msToFrames(2002, NTSC_FILM)).toBe(48); // 48 frames are 2002.083 ms: the probe's 2002 is that
    expect(msToFrames(41.708, NTSC_FILM)).toBe(1);
    expect(msToFrames(62.5, NTSC_FILM)).toBe(1); // 1.4985 frames
    expect(msToFrames(62.6, NTSC_FILM)).toBe(2);
    expect(msToFrames(500, NTSC_FILM)).toBe(12); // 11.988 frames
    expect(framesToMs(12, NTSC_FILM)).toBe(500.5);
    expect(framesToMs(1, NTSC_FILM)).toBe(41.708);
    for (let f = 0; f < 2000; f += 7) expect(msToFrames(framesToMs(f, NTSC_FILM), NTSC_FILM)).toBe(f);
  });
});

describe('engine model: parseDraft', () => {
  it('applies the defaults', () => {
    const model = parseDraft({ t: [{ tt: 0, sg: [{ d: 2000, m: { src: '/a.mp4' } }] }] });
    expect(model).toMatchObject({ timebase: THIRTY, fps: 30, width: 1280, height: 720, duration: 60 });
    expect(model.video).toEqual([
      {
        index: 0,
        src: '/a.mp4',
        in: 0,
        dur: 60,
        start: 0,
        end: 60,
        speed: 1,
        hasVideo: undefined,
        hasAudio: undefined,
        still: false,
        audioStream: 0,
      },
    ]);
    expect(model.fx).toEqual({ mute: false, denoise: false, stabilize: false, volume: [], picture: [] });
    expect(parseDraft({ t: [], m: { fps: 0, width: 321 } })).toMatchObject({ fps: 30, width: 322 });
  });

  it('places clips in frames: transitions overlap, `at` sits where it says, `d` is the length', () => {
    const draft = draftOf({ fps: 24000 / 1001 }, [
      clip({ hasVideo: true, hasAudio: false, srcWidth: 320, srcHeight: 180 }, 2002),
      clip({ in: 500.5, speed: 2, transition: { type: 'wipe', d: 500 }, audioStream: 1 }, 1001),
    ]);
    draft.t.push(
      { tt: 7, sg: [{ d: 1001, m: { text: 'Hi', style: 'lower-third', at: 1001 } }] },
      { tt: 1, sg: [{ d: 2502.5, m: { src: '/song.mp3', at: 0, volume: 0.35, loop: true } }] },
    );
    const model = parseDraft(draft);
    expect(model.timebase).toEqual(NTSC_FILM);
    expect(model.video[0]).toMatchObject({
      start: 0,
      end: 48,
      hasAudio: false,
      srcSize: { width: 320, height: 180 },
    });
    expect(model.video[1]).toMatchObject({
      index: 1,
      in: 12,
      dur: 24,
      start: 36,
      end: 60,
      speed: 2,
      audioStream: 1,
      transition: { type: 'wipe', dur: 12 },
    });
    expect(model.text).toEqual([{ start: 24, end: 48, text: 'Hi', style: 'lower-third', fade: 12 }]);
    expect(model.music).toEqual([
      { start: 0, end: 60, dur: 60, src: '/song.mp3', volume: 0.35, loop: true, duck: true },
    ]);
    expect(model.duration).toBe(60);
  });

  it('reads every fx key, times in frames', () => {
    const model = parseDraft(
      draftOf({
        fx: {
          mute: true,
          format: 'webm',
          loudnorm: { i: -14, tp: -1.5, lra: 11 },
          grade: { look: 'lut', lut: '/x.cube' },
          preset: { name: 'tiktok' },
          enhance: { scale: 2 },
          fade: { inMs: 1000, sound: false },
          volume: [
            { gain: 0.5, fromMs: 1000, toMs: 2000 },
            { gain: 2, lastMs: 500 },
          ],
          picture: [{ rotate: 90 }, { flip: 'horizontal' }, { crop: [9, 16] }],
          logo: { path: '/logo.png', position: 'top-left' },
          somethingElse: { kept: 'in the draft, ignored here' },
        },
      }),
    );
    expect(model.fx).toEqual({
      mute: true,
      denoise: false,
      stabilize: false,
      format: 'webm',
      loudnorm: { i: -14, tp: -1.5, lra: 11 },
      grade: { look: 'lut', lut: '/x.cube' },
      preset: { name: 'tiktok', fit: 'blur' },
      enhance: { scale: 2 },
      fade: { in: 30, out: 0, picture: true, sound: false },
      volume: [
        { gain: 0.5, from: 30, to: 60, last: undefined },
        { gain: 2, from: undefined, to: undefined, last: 15 },
      ],
      picture: [{ rotate: 90 }, { flip: 'horizontal' }, { crop: [9, 16] }],
      logo: { path: '/logo.png', position: 'top-left' },
    });
  });

  it.each([
    [draftOf({ fps: '30' }), 'draft.m.fps must be a non-negative number (got "30")'],
    [draftOf({ fps: -25 }), 'draft.m.fps'],
    [draftOf({ fx: { mute: 'yes' } }), 'draft.m.fx.mute must be true or false (got "yes")'],
    [draftOf({ fx: { grade: { look: 'sepia' } } }), 'draft.m.fx.grade.look must be one of warm, cool'],
    [draftOf({ fx: { grade: { look: 'lut' } } }), 'draft.m.fx.grade.lut'],
    [draftOf({ fx: { preset: { name: '8k' } } }), 'draft.m.fx.preset.name'],
    [draftOf({ fx: { format: 'mkv' } }), 'draft.m.fx.format must be mp4, webm, mov or gif (got "mkv")'],
    [draftOf({ fx: { loudnorm: { i: -14 } } }), 'draft.m.fx.loudnorm.tp'],
    [draftOf({ fx: { volume: { gain: 2 } } }), 'draft.m.fx.volume must be a list'],
    [draftOf({ fx: { volume: [{ gain: -1 }] } }), 'draft.m.fx.volume[0].gain'],
    [
      draftOf({ fx: { fade: { inMs: Number.NaN } } }),
      'draft.m.fx.fade.inMs must be a non-negative number (got NaN)',
    ],
    [draftOf({ fx: { picture: [{ rotate: 45 }] } }), 'draft.m.fx.picture[0].rotate must be 90, 180 or 270'],
    [
      draftOf({ fx: { picture: [{ crop: [0, 1] }] } }),
      'draft.m.fx.picture[0] must be a rotate, flip or crop',
    ],
    [draftOf({}, [clip({ speed: 0 })]), 'draft.t[0].sg[0].m.speed must be a positive number (got 0)'],
    [draftOf({}, [clip({ in: -5 })]), 'draft.t[0].sg[0].m.in must be a non-negative number'],
    [draftOf({}, [clip({ hasAudio: 'no' })]), 'draft.t[0].sg[0].m.hasAudio'],
    [
      draftOf({}, [clip(), clip({ audioStream: 1.5 })]),
      'draft.t[0].sg[1].m.audioStream must be a non-negative integer',
    ],
    [draftOf({}, [clip({ srcWidth: '320' })]), 'draft.t[0].sg[0].m.srcWidth'],
    [draftOf({}, [clip({ transition: 'fade' })]), 'draft.t[0].sg[0].m.transition must be an object'],
    [draftOf({}, [clip({}, -1)]), 'draft.t[0].sg[0].d must be a non-negative number (got -1)'],
    [{ t: [{ tt: 1, sg: [{ d: 10, m: { src: 3 } }] }] }, 'draft.t[0].sg[0].m.src must be a string (got 3)'],
    [{ t: [{ tt: 7, sg: [{ d: 10, m: { text: 'x', fade: '1' } }] }] }, 'draft.t[0].sg[0].m.fade'],
    [{ t: {} }, 'draft.t must be a list'],
  ])('rejects a malformed key with MalformedDraftError (%#)', (draft, message) => {
    const err = failure(draft);
    expect(err).toBeInstanceOf(EditInputError);
    expect(err.kind).toBe('usage');
    expect(err.message).toContain(`malformed draft: ${message}`);
    expect(message.startsWith(err.where)).toBe(true);
  });

  it('keeps the lenient readings of the compiler: unknown text styles are titles, transitions default to fade', () => {
    const draft = draftOf({}, [clip(), clip({ transition: { d: 100 } })]);
    draft.t.push({ tt: 7, sg: [{ d: 1000, m: { text: 'x', style: 'banner' } }] });
    const model = parseDraft(draft);
    expect(model.text[0]!.style).toBe('title');
    expect(model.video[1]!.transition).toEqual({ type: 'fade', dur: 3 });
  });

  it('round trip: what the edge writer sets parses back to the same model, and the draft keeps every key', () => {
    const draft = draftOf({ fps: 24000 / 1001 }, [
      clip({ name: 'a.mp4', custom: 1 }, framesToMs(48, NTSC_FILM)),
    ]);
    setClipMeta(draft.t[0]!.sg[0]!, { hasVideo: true, hasAudio: true, srcWidth: 320, srcHeight: 180 });
    draftFx(draft).fade = { inMs: framesToMs(12, NTSC_FILM), outMs: 0 };
    draftFx(draft).grade = { look: 'warm' };
    const before = structuredClone(draft);
    const model = parseDraft(draft);
    expect(draft).toEqual(before); // parsing never changes the draft
    expect(draft.t[0]!.sg[0]!.m).toMatchObject({ custom: 1, name: 'a.mp4' });
    expect(model.video[0]).toMatchObject({ dur: 48, hasVideo: true, srcSize: { width: 320, height: 180 } });
    expect(model.fx.fade).toEqual({ in: 12, out: 0, picture: true, sound: true });
    const again = parseDraft(JSON.parse(JSON.stringify(draft)) as Draft);
    expect(again).toEqual(model);
  });
});
