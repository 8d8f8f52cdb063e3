/**
 * The boundary: a loose short-key draft → the typed `EngineModel`. Every `m` key the engine reads is
 * checked here (a wrong type, a non-finite or out-of-range number, an unknown grade look or preset is a
 * `MalformedDraftError` naming the key), defaults are applied, and milliseconds become frames
 * (`msToFrames`: the one rounding rule). Unknown keys are ignored (they stay in the draft).
 */
import { isOutputFormat } from '../../base/media.js';
import { type Draft, type Segment, type Track, TrackType } from '../../timeline/index.js';
import { even } from '../draft-build.js';
import { MalformedDraftError } from '../errors.js';
import type {
  Clip,
  Corner,
  EngineModel,
  Fx,
  Grade,
  Look,
  MusicClip,
  PictureStep,
  PresetName,
  TextClip,
  TextStyle,
} from './model.js';
import { type Frames, fpsOf, msToFrames, type Timebase, timebaseOf } from './time.js';

export const DEFAULT_FPS = 30;
const DEFAULT_WIDTH = 1280;
const DEFAULT_HEIGHT = 720;
const TEXT_FADE_MS = 500;

export const LOOKS: readonly Look[] = ['warm', 'cool', 'cinematic', 'vintage', 'bw', 'vivid'];
export const PRESET_NAMES: readonly PresetName[] = ['youtube', 'tiktok', 'square', 'portrait45', '4k'];
const CORNERS: readonly Corner[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

type Obj = Record<string, unknown>;

/** Reads the keys of one object, each check naming `where.key` in its error. */
class Reader {
  constructor(
    readonly where: string,
    readonly o: Obj,
  ) {}

  static of(where: string, value: unknown): Reader {
    if (value === undefined || value === null) return new Reader(where, {});
    if (typeof value !== 'object' || Array.isArray(value)) throw bad(where, 'an object', value);
    return new Reader(where, value as Obj);
  }

  at(key: string): string {
    return `${this.where}.${key}`;
  }

  has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  obj(key: string): Reader | undefined {
    return this.has(key) ? Reader.of(this.at(key), this.o[key]) : undefined;
  }

  list(key: string): unknown[] {
    const v = this.o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw bad(this.at(key), 'a list', v);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw bad(this.at(key), 'true or false', v);
    return v;
  }

  str(key: string): string | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(this.at(key), 'a string', v);
    return v;
  }

  /** A finite number ≥ `min` (> 0 with `positive`). */
  num(key: string, o: { min?: number; positive?: boolean; integer?: boolean } = {}): number | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    const min = o.min ?? Number.NEGATIVE_INFINITY;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      v >= min &&
      (!o.positive || v > 0) &&
      (!o.integer || Number.isInteger(v));
    if (!ok) {
      const what = o.positive ? 'a positive' : min === 0 ? 'a non-negative' : 'a finite';
      throw bad(this.at(key), `${what} ${o.integer ? 'integer' : 'number'}`, v);
    }
    return v as number;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v !== undefined && !values.includes(v as T))
      throw bad(this.at(key), `one of ${values.join(', ')}`, v);
    return v as T | undefined;
  }
}

function bad(where: string, expected: string, got: unknown): MalformedDraftError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : Array.isArray(got) ? 'a list' : String(got);
  return new MalformedDraftError(where, `${where} must be ${expected} (got ${shown})`);
}

/** Milliseconds of `key` (≥ 0) as frames; `fallback` frames when absent. */
function frames(r: Reader, key: string, tb: Timebase): Frames | undefined {
  const ms = r.num(key, { min: 0 });
  return ms === undefined ? undefined : msToFrames(ms, tb);
}

function parseGrade(r: Reader): Grade {
  const look = r.oneOf('look', [...LOOKS, 'lut'] as const);
  if (look === undefined) throw bad(r.at('look'), 'a grade look', undefined);
  if (look !== 'lut') return { look };
  const lut = r.str('lut');
  if (!lut) throw bad(r.at('lut'), 'the LUT file', lut);
  return { look, lut };
}

function parsePictureStep(where: string, value: unknown): PictureStep {
  const r = Reader.of(where, value);
  const rotate = r.num('rotate');
  if (rotate !== undefined) {
    if (rotate !== 90 && rotate !== 180 && rotate !== 270)
      throw bad(r.at('rotate'), '90, 180 or 270', rotate);
    return { rotate };
  }
  const flip = r.oneOf('flip', ['horizontal', 'vertical'] as const);
  if (flip) return { flip };
  const crop = r.list('crop');
  const [a, b] = crop;
  const side = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (crop.length !== 2 || !side(a) || !side(b))
    throw bad(where, 'a rotate, flip or crop [w, h] step', value);
  return { crop: [a, b] };
}

function parseFx(r: Reader, tb: Timebase): Fx {
  const fx: Fx = {
    mute: r.bool('mute') === true,
    denoise: r.bool('denoise') === true,
    stabilize: r.bool('stabilize') === true,
    volume: [],
    picture: r.list('picture').map((s, k) => parsePictureStep(`${r.at('picture')}[${k}]`, s)),
  };
  const format = r.str('format');
  if (format !== undefined) {
    if (!isOutputFormat(format)) throw bad(r.at('format'), 'mp4, webm, mov or gif', format);
    fx.format = format;
  }
  const loudnorm = r.obj('loudnorm');
  if (loudnorm) {
    const need = (key: string): number => {
      const v = loudnorm.num(key);
      if (v === undefined) throw bad(loudnorm.at(key), 'a number', v);
      return v;
    };
    fx.loudnorm = { i: need('i'), tp: need('tp'), lra: need('lra') };
  }
  const grade = r.obj('grade');
  if (grade) fx.grade = parseGrade(grade);
  const preset = r.obj('preset');
  if (preset) {
    const name = preset.oneOf('name', PRESET_NAMES);
    if (!name) throw bad(preset.at('name'), 'a preset name', undefined);
    fx.preset = { name, fit: preset.oneOf('fit', ['blur', 'crop'] as const) ?? 'blur' };
  }
  const enhance = r.obj('enhance');
  if (enhance) {
    const scale = enhance.num('scale', { positive: true });
    fx.enhance = scale === undefined ? {} : { scale };
  }
  const fade = r.obj('fade');
  if (fade)
    fx.fade = {
      in: frames(fade, 'inMs', tb) ?? 0,
      out: frames(fade, 'outMs', tb) ?? 0,
      picture: fade.bool('picture') !== false,
      sound: fade.bool('sound') !== false,
    };
  fx.volume = r.list('volume').map((v, k) => {
    const step = Reader.of(`${r.at('volume')}[${k}]`, v);
    const gain = step.num('gain', { min: 0 });
    if (gain === undefined) throw bad(step.at('gain'), 'a non-negative number', gain);
    return {
      gain,
      from: frames(step, 'fromMs', tb),
      to: frames(step, 'toMs', tb),
      last: frames(step, 'lastMs', tb),
    };
  });
  const logo = r.obj('logo');
  if (logo) {
    const path = logo.str('path');
    if (!path) throw bad(logo.at('path'), 'the logo file', path);
    fx.logo = { path, position: logo.oneOf('position', CORNERS) ?? 'bottom-right' };
  }
  return fx;
}

/** `placeSegments` in frames: `at` when set, else after the previous segment less its transition. */
function place<T>(
  track: Track,
  where: string,
  tb: Timebase,
  make: (m: Reader, base: { start: Frames; end: Frames; dur: Frames }, overlap: Frames) => T,
): T[] {
  let cursor = 0;
  return track.sg.map((segment: Segment, k) => {
    const at = `${where}.sg[${k}]`;
    const seg = Reader.of(at, segment);
    const d = seg.num('d', { min: 0 });
    if (d === undefined) throw bad(seg.at('d'), 'a non-negative number', d);
    const m = Reader.of(`${at}.m`, segment.m);
    const transition = m.obj('transition');
    const td = transition?.num('d');
    const overlap = td !== undefined && td > 0 ? msToFrames(td, tb) : 0;
    const dur = msToFrames(d, tb);
    const start = frames(m, 'at', tb) ?? Math.max(0, cursor - overlap);
    cursor = start + dur;
    return make(m, { start, end: start + dur, dur }, overlap);
  });
}

function videoClips(track: Track, where: string, tb: Timebase): Clip[] {
  return place(track, where, tb, (m, base, overlap) => {
    const w = m.num('srcWidth', { positive: true, integer: true });
    const h = m.num('srcHeight', { positive: true, integer: true });
    const clip: Clip = {
      ...base,
      index: 0,
      src: m.str('src') ?? '',
      in: frames(m, 'in', tb) ?? 0,
      speed: m.num('speed', { positive: true }) ?? 1,
      hasVideo: m.bool('hasVideo'),
      hasAudio: m.bool('hasAudio'),
      still: m.bool('still') === true,
      audioStream: m.num('audioStream', { min: 0, integer: true }) ?? 0,
    };
    if (w !== undefined && h !== undefined) clip.srcSize = { width: w, height: h };
    const t = m.obj('transition');
    if (t && overlap > 0) clip.transition = { type: t.str('type') ?? 'fade', dur: overlap };
    return clip;
  }).map((clip, index) => ({ ...clip, index }));
}

function musicClips(track: Track, where: string, tb: Timebase): MusicClip[] {
  return place(track, where, tb, (m, base) => ({
    ...base,
    src: m.str('src') || undefined,
    volume: m.num('volume', { min: 0 }) ?? 1,
    loop: m.bool('loop') === true,
    duck: m.bool('duck') !== false,
  }));
}

const STYLES: readonly TextStyle[] = ['title', 'lower-third', 'caption'];

function textClips(track: Track, where: string, tb: Timebase): TextClip[] {
  return place(track, where, tb, (m, base) => {
    const style = m.str('style');
    return {
      start: base.start,
      end: base.end,
      text: m.str('text') ?? '',
      // Styles nemo does not know show as titles.
      style: STYLES.includes(style as TextStyle) ? (style as TextStyle) : 'title',
      fade: frames(m, 'fade', tb) ?? msToFrames(TEXT_FADE_MS, tb),
    };
  });
}

/**
 * The typed model of `draft`; a `MalformedDraftError` (an `EditInputError`, exit 2) naming the first key
 * whose value the engine cannot use.
 */
export function parseDraft(draft: Draft): EngineModel {
  const top = Reader.of('draft', draft);
  const meta = Reader.of('draft.m', draft.m);
  const fps = meta.num('fps', { min: 0 });
  const timebase = timebaseOf(fps && fps > 0 ? fps : DEFAULT_FPS);
  const tracks = top.list('t');
  const model: EngineModel = {
    timebase,
    fps: fpsOf(timebase),
    width: even(meta.num('width', { positive: true }) ?? DEFAULT_WIDTH),
    height: even(meta.num('height', { positive: true }) ?? DEFAULT_HEIGHT),
    duration: 0,
    hasVideoTrack: false,
    video: [],
    music: [],
    text: [],
    fx: parseFx(Reader.of('draft.m.fx', draft.m?.fx), timebase),
  };
  const ends: Frames[] = [];
  tracks.forEach((value, k) => {
    const where = `draft.t[${k}]`;
    const r = Reader.of(where, value);
    const tt = r.num('tt');
    const track = value as Track;
    r.list('sg');
    if (tt === TrackType.video && !model.hasVideoTrack) {
      model.hasVideoTrack = true;
      model.video = videoClips(track, where, timebase);
    } else if (tt === TrackType.audio) model.music.push(...musicClips(track, where, timebase));
    else if (tt === TrackType.text) model.text.push(...textClips(track, where, timebase));
    // Later video tracks and other track types are not rendered; their segments still count for the length.
    ends.push(...place(track, where, timebase, (_m, base) => base.end));
  });
  const d = top.num('d');
  model.duration = d !== undefined && d > 0 ? msToFrames(d, timebase) : Math.max(0, ...ends);
  return model;
}
