import type { Draft } from '../../timeline/index.js';
import { type LoudnormMeasurement, loudnormFilter } from '../analysis/loudness.js';
import { EditInputError } from '../errors.js';
import { type EngineModel, framesToMs, parseDraft } from '../model/index.js';
import type { Capabilities } from '../types.js';
import { mixAudio } from './audio.js';
import { fadeAudio, fadeVideo, volumeAudio } from './fades-volume.js';
import { filterValue, GraphBuilder } from './graph.js';
import { InputTable } from './inputs.js';
import { encoderArgs, type OutputFormat, type Quality } from './output.js';
import { logoOverlay, pictureSteps } from './picture-ops.js';
import { anySegmentAudio, type Canvas, joinSegments } from './segments.js';
import { type GraphFile, textFilters } from './text.js';
import {
  applyPreset,
  enhanceFilters,
  GRADES,
  gifTail,
  hasVidstab,
  PRESETS,
  stabilizeFilter,
} from './video-fx.js';

export interface CompileOptions {
  caps: Capabilities;
  /** Absolute directory for the files the graph reads (title text, captions SRT). */
  workDir: string;
  resolveSrc?: (src: string) => string;
  format?: OutputFormat;
  quality?: Quality;
  /**
   * 'render' (default): the full graph. 'audio': only the audio, before loudnorm (for the loudness
   * measurement pass). 'stabilize': only the video up to vidstabdetect (the vidstab analysis pass).
   */
  mode?: 'render' | 'audio' | 'stabilize';
  /** loudnorm pass-1 values: the render applies their linear gain (`loudnormFilter`). */
  loudness?: LoudnormMeasurement;
  /** vidstab transforms file (written by the 'stabilize' pass), read by vidstabtransform. */
  transformsFile?: string;
}

export interface CompiledDraft {
  /** Input argv (`-i …` with per-input options). */
  inputs: string[];
  /** The whole filtergraph, for `-filter_complex_script`. */
  graph: string;
  videoLabel?: string;
  audioLabel?: string;
  /** `-map [vout] -map [aout]` plus encoder/muxer args (no output path). */
  outputArgs: string[];
  /** Files the graph reads; write them before running ffmpeg. */
  files: GraphFile[];
  durationMs: number;
  format: OutputFormat;
  /** The vidstab analysis pass must run first (mode 'render' with fx.stabilize on a vidstab build). */
  needsStabilizePass: boolean;
  /** The loudness measurement pass must run first (fx.loudnorm without `loudness`). */
  needsLoudnessPass: boolean;
}

/**
 * The whole draft → ONE filtergraph and ONE encode's arguments. Pure apart from reading `caps`. The draft
 * is parsed into the engine model first (`parseDraft`: a `MalformedDraftError` for a key it cannot use).
 */
export function compileDraft(draft: Draft, opts: CompileOptions): CompiledDraft {
  return compileModel(parseDraft(draft), opts);
}

/** `compileDraft` of an already parsed draft. */
export function compileModel(model: EngineModel, opts: CompileOptions): CompiledDraft {
  if (!model.hasVideoTrack || model.video.length === 0)
    throw new EditInputError('the draft has no video segments to render');
  const { fx, timebase } = model;
  const mode = opts.mode ?? 'render';
  const format = opts.format ?? fx.format ?? 'mp4';
  const resolve = opts.resolveSrc ?? ((src: string) => src);
  const vidstab = hasVidstab(opts.caps);
  let canvas: Canvas = { width: model.width, height: model.height, fps: model.fps };
  const g = new GraphBuilder();
  const inputs = new InputTable();
  const files: GraphFile[] = [];
  const durationMs = framesToMs(model.duration, timebase);
  const joined = joinSegments(g, inputs, model.video, {
    canvas,
    timebase,
    resolve,
    withVideo: mode !== 'audio',
    // No clip has audio: no silent track is invented for them (music, if any, is mixed on its own).
    withAudio: mode !== 'stabilize' && format !== 'gif' && !fx.mute && anySegmentAudio(model.video),
    xfade: opts.caps.filters.has('xfade'),
  });

  let video = joined.video;
  if (video && mode === 'stabilize') {
    if (!opts.transformsFile) throw new EditInputError('the stabilize pass needs a transforms file');
    video = g.chain(
      video,
      `vidstabdetect=shakiness=5:accuracy=15:result=${filterValue(opts.transformsFile)}`,
      'vd',
    );
  } else if (video) {
    if (fx.stabilize)
      video = g.chain(video, stabilizeFilter(vidstab ? opts.transformsFile : undefined), 'vs');
    ({ video, canvas } = pictureSteps(g, video, canvas, fx.picture));
    if (fx.enhance) {
      const e = enhanceFilters(canvas, fx.enhance.scale);
      video = g.chain(video, e.filters, 've');
      canvas = e.canvas;
    }
    if (fx.grade) {
      const grade =
        fx.grade.look === 'lut' ? `lut3d=file=${filterValue(fx.grade.lut)}` : GRADES[fx.grade.look];
      video = g.chain(video, grade, 'vg');
    }
    if (fx.preset) {
      const preset = PRESETS[fx.preset.name];
      video = applyPreset(g, video, preset, fx.preset.fit === 'crop');
      canvas = { ...canvas, width: preset.width, height: preset.height };
    }
    video = logoOverlay(g, inputs, video, canvas, fx.logo);
    const libass = opts.caps.filters.has('subtitles');
    const overlays = textFilters(model.text, timebase, canvas, opts.workDir, files, libass);
    if (overlays.length) video = g.chain(video, overlays.join(','), 'vt');
    video = fadeVideo(g, video, fx, timebase, durationMs);
    video = format === 'gif' ? gifTail(g, video, canvas) : g.chain(video, 'format=yuv420p', 'vout');
  }

  let audio: string | undefined;
  if (mode !== 'stabilize' && format !== 'gif' && (joined.audio || model.music.length > 0)) {
    audio = mixAudio(g, inputs, model.music, joined.audio, {
      caps: opts.caps,
      resolve,
      durationMs,
      denoise: fx.denoise,
      timebase,
    });
    if (audio) audio = volumeAudio(g, audio, fx, timebase, durationMs);
    if (audio && fx.loudnorm && mode === 'render')
      audio = g.chain(audio, loudnormFilter(fx.loudnorm, opts.loudness), 'aout');
    if (audio && mode === 'render') audio = fadeAudio(g, audio, fx, timebase, durationMs);
  }

  const maps = [video, audio].filter((l): l is string => l !== undefined).flatMap((l) => ['-map', `[${l}]`]);
  const outputArgs =
    mode === 'render'
      ? [...maps, ...encoderArgs(format, opts.quality ?? 'high', opts.caps, audio !== undefined)]
      : [...maps, '-f', 'null'];
  return {
    inputs: inputs.argv,
    graph: g.text(),
    videoLabel: video,
    audioLabel: audio,
    outputArgs,
    files,
    durationMs,
    format,
    needsStabilizePass: mode === 'render' && fx.stabilize && vidstab && !opts.transformsFile,
    needsLoudnessPass:
      mode === 'render' && fx.loudnorm !== undefined && audio !== undefined && !opts.loudness,
  };
}
