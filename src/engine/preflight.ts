/**
 * Checks of an on-device edit made BEFORE any expensive work: the facts known up front (the plan, the
 * output name, the probed inputs) are enough to refuse a request that cannot succeed, with the fix, so
 * no analysis pass or encode runs for it. Every refusal is an `EditInputError` (kind usage, exit 2).
 */

import { LIMITS, type OutputFormat, resolveOutputFormat } from '../base/media.js';
import { fmtSeconds } from '../timeline/index.js';
import { requireFile } from './apply-tracks.js';
import { readCaptionsFile } from './captions/index.js';
import { pickAudioStream, STILL_MS } from './draft-build.js';
import { EditInputError } from './errors.js';
import type { ProbedMedia as MediaInfo } from './probe.js';
import type { EditOp, PlanResult } from './types.js';

export interface PreflightInput {
  outPath: string;
  format?: OutputFormat;
  musicPath?: string;
  captionsPath?: string;
  audioStream?: number;
}

/** The format the plan's "export as …" clauses ask for (the last one), if any. */
export function plannedFormat(ops: readonly EditOp[]): OutputFormat | undefined {
  let format: OutputFormat | undefined;
  for (const op of ops) if (op.op === 'format') format = op.format;
  return format;
}

/**
 * The output format of the edit: the --format flag, the instruction's "export as …" and the output
 * name's extension must agree (either decides alone); a conflict or an extension nemo does not write is
 * an `EditInputError`.
 */
export function outputFormatOf(ops: readonly EditOp[], outPath: string, flag?: OutputFormat): OutputFormat {
  const fromPlan = plannedFormat(ops);
  if (flag && fromPlan && flag !== fromPlan)
    throw new EditInputError(
      `the instruction asks for ${fromPlan} but the format option asks for ${flag}; ask for one format`,
    );
  const resolved = resolveOutputFormat(outPath, flag ?? fromPlan);
  if ('problem' in resolved)
    throw new EditInputError(
      `${resolved.problem}; name the output with the extension of the format you want`,
    );
  return resolved.format;
}

/** Checks the plan alone (no file read but the small ones the user named): bounds, files, formats. */
export async function checkPlan(plan: PlanResult, o: PreflightInput): Promise<OutputFormat> {
  const format = outputFormatOf(plan.ops, o.outPath, o.format);
  if (o.audioStream !== undefined && !(Number.isInteger(o.audioStream) && o.audioStream >= 0))
    throw new EditInputError(`audio stream ${o.audioStream}: give a stream number 0, 1, 2…`);
  let speed = 1;
  for (const op of plan.ops) {
    switch (op.op) {
      case 'speed':
        speed *= op.factor;
        if (!(op.factor >= LIMITS.minSpeed && op.factor <= LIMITS.maxSpeed))
          throw new EditInputError(
            `speed ×${op.factor} is out of range: the speed can be ${LIMITS.minSpeed}× to ${LIMITS.maxSpeed}×`,
          );
        break;
      case 'title':
        if (op.text.length > LIMITS.maxTitleChars)
          throw new EditInputError(
            `the title is ${op.text.length} characters long; at most ${LIMITS.maxTitleChars} fit on screen`,
          );
        for (const ms of [op.atMs, op.durationMs])
          if (ms !== undefined && !(ms >= 0 && ms <= LIMITS.maxDurationMs))
            throw new EditInputError(`title ${JSON.stringify(op.text)}: ${fmtSeconds(ms)} s is out of range`);
        break;
      case 'music': {
        const file = op.path ?? o.musicPath;
        if (!file)
          throw new EditInputError(
            'background music needs a file: name one in the instruction ("add music song.mp3") or pass --music <file>',
          );
        requireFile(file, 'background music');
        break;
      }
      case 'captions': {
        const file = op.path ?? o.captionsPath;
        // A captions file that holds no cues is refused now, not after the other passes ran.
        if (file) await readCaptionsFile(requireFile(file, 'captions'));
        break;
      }
      case 'grade':
        if (op.look === 'lut') requireFile(op.lut ?? '', 'LUT');
        break;
      case 'enhance':
        if (op.scale !== undefined && !(op.scale > 0 && op.scale <= 4))
          throw new EditInputError(`enhance ×${op.scale} is out of range: upscale by up to 4×`);
        break;
      default:
        break;
    }
  }
  if (!(speed >= LIMITS.minSpeed && speed <= LIMITS.maxSpeed))
    throw new EditInputError(
      `the speed changes add up to ×${speed}: the speed can be ${LIMITS.minSpeed}× to ${LIMITS.maxSpeed}×`,
    );
  return format;
}

/** One line per probed input with several audio streams: which one plays. */
export function audioStreamNotes(media: { src: string; info: MediaInfo }[], wanted?: number): string[] {
  const notes: string[] = [];
  for (const { src, info } of media) {
    const streams = info.audioStreams;
    if (!streams || streams.length < 2) continue;
    const k = pickAudioStream(info, wanted);
    const chosen = streams[k];
    const why = wanted === k ? 'as asked' : chosen?.default ? 'the default' : 'the first';
    const label = (s: (typeof streams)[number]): string =>
      [`#${s.index}`, s.language, s.title, s.channels ? `${s.channels} ch` : undefined]
        .filter(Boolean)
        .join(' ');
    notes.push(
      `${baseName(src)} has ${streams.length} audio streams (${streams.map(label).join(', ')}): ` +
        `using #${k} (${why}); choose another with the audio stream option`,
    );
  }
  return notes;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

/** What the probed inputs allow: sizes, audio for the audio ops, cuts inside the timeline, streams. */
export function checkMedia(
  media: { src: string; info: MediaInfo }[],
  plan: PlanResult,
  o: PreflightInput,
): void {
  for (const { src, info } of media) {
    const name = baseName(src);
    if (!info.hasVideo && !info.hasAudio)
      throw new EditInputError(`${name} has no video or audio stream nemo can read`);
    const w = info.width ?? 0;
    const h = info.height ?? 0;
    if (w > LIMITS.maxSide || h > LIMITS.maxSide)
      throw new EditInputError(
        `${name} is ${w}×${h}: nemo edits pictures up to ${LIMITS.maxSide} px a side; scale it down first`,
      );
    if (info.durationMs > LIMITS.maxDurationMs)
      throw new EditInputError(
        `${name} is ${fmtSeconds(info.durationMs)} s long: nemo edits up to ${fmtSeconds(LIMITS.maxDurationMs)} s`,
      );
    if (o.audioStream !== undefined && info.hasAudio) {
      const n = info.audioStreams?.length ?? 1;
      if (o.audioStream >= n)
        throw new EditInputError(
          `${name} has ${n} audio stream${n === 1 ? '' : 's'} (#0${n > 1 ? `–#${n - 1}` : ''}); there is no #${o.audioStream}`,
        );
    }
  }
  const anyAudio = media.some((m) => m.info.hasAudio && m.info.kind !== 'image');
  const totalMs = media.reduce(
    (sum, { info }) => sum + (info.kind === 'image' || info.durationMs <= 0 ? STILL_MS : info.durationMs),
    0,
  );
  const names = media.map((m) => baseName(m.src)).join(', ');
  const length = `${media.length === 1 ? 'the clip' : 'the clips'} (${names}) ${media.length === 1 ? 'is' : 'are'} ${fmtSeconds(totalMs)} s long`;
  for (const op of plan.ops) {
    switch (op.op) {
      case 'trimSilence':
        if (!anyAudio)
          throw new EditInputError(
            `trim silences: ${media.length === 1 ? `${names} has no audio` : `none of ${names} has audio`}, so there are no silences to find`,
          );
        break;
      case 'cutStart':
      case 'cutEnd':
        if (op.ms >= totalMs)
          throw new EditInputError(
            `${op.op === 'cutStart' ? 'cut the first' : 'cut the last'} ${fmtSeconds(op.ms)} s: nothing would be left, ${length}`,
          );
        break;
      case 'keepRange':
        if (op.fromMs >= totalMs)
          throw new EditInputError(`keep ${fmtSeconds(op.fromMs)}-${fmtSeconds(op.toMs)} s: ${length}`);
        break;
      case 'trimIntro':
        if (op.ms !== undefined && op.ms >= totalMs)
          throw new EditInputError(`trim the first ${fmtSeconds(op.ms)} s: nothing would be left, ${length}`);
        break;
      case 'cutRange':
        if (op.fromMs <= 0 && op.toMs >= totalMs)
          throw new EditInputError(
            `cut ${fmtSeconds(op.fromMs)}-${fmtSeconds(op.toMs)} s: nothing would be left, ${length}`,
          );
        break;
      default:
        break;
    }
  }
}
