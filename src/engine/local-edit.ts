import { existsSync } from 'node:fs';
import path from 'node:path';
import type { OutputFormat } from '../base/media.js';
import type { Draft } from '../timeline/index.js';
import { applyOps } from './apply.js';
import { draftFromMedia } from './draft-build.js';
import { EditInputError, EngineAbortedError, FfmpegFailedError, UnknownInstructionError } from './errors.js';
import { findFfmpeg, getCapabilities } from './ffmpeg.js';
import { planInstruction, SUPPORTED_OPERATIONS } from './planner.js';
import { audioStreamNotes, checkMedia, checkPlan, plannedFormat } from './preflight.js';
import { probeMedia } from './probe.js';
import { renderDraft } from './runner.js';
import { prefetchScan } from './smart/gop.js';
import { renderPathNote } from './smart/notes.js';
import type { PlanResult, RenderProgress, RenderResult } from './types.js';

/** Progress the CLI can print while `localEdit` works. */
export type LocalEditEvent =
  | { type: 'plan'; plan: PlanResult }
  | { type: 'analysis'; what: 'probe' | 'edit' }
  | { type: 'note'; note: string }
  | ({ type: 'render.progress' } & RenderProgress);

export interface LocalEditOptions {
  files: string[];
  instruction: string;
  outPath: string;
  musicPath?: string;
  captionsPath?: string;
  asrModelPath?: string;
  /** The output format; must agree with `outPath`'s extension and the instruction's "export as …". */
  format?: OutputFormat;
  quality?: 'low' | 'medium' | 'high';
  /** For inputs with several audio streams: which one (index among the audio streams); default: the default one. */
  audioStream?: number;
  onEvent?: (event: LocalEditEvent) => void;
  signal?: AbortSignal;
  /** Replace an existing output (--force). */
  overwrite?: boolean;
  /** Re-encode the whole video (else the smart path is taken wherever the edit and source allow it). */
  reencode?: boolean;
}

export interface LocalEditResult {
  outPath: string;
  draft: Draft;
  plan: PlanResult;
  notes: string[];
  render: RenderResult;
}

/**
 * The whole on-device edit: plan the instruction (unknown clauses throw `UnknownInstructionError`
 * before any work), probe the inputs, build the draft, apply the ops (analysis passes), render once.
 */
export async function localEdit(o: LocalEditOptions): Promise<LocalEditResult> {
  const plan = planInstruction(o.instruction);
  if (plan.unknown.length > 0) throw new UnknownInstructionError(plan.unknown, SUPPORTED_OPERATIONS);
  o.onEvent?.({ type: 'plan', plan });
  // Everything the plan alone can refuse, before any probe, analysis or encode.
  const format = await checkPlan(plan, o);
  // Probe ffmpeg's capabilities (four short runs) while the inputs are probed and analysed, not after:
  // renderDraft's own getCapabilities() then hits the cache. Errors surface there, where they are handled.
  findFfmpeg()
    .then((f) => getCapabilities(f.ffmpeg))
    .catch(() => {});
  o.onEvent?.({ type: 'analysis', what: 'probe' });
  const files = o.files.map((f) => path.resolve(f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new EditInputError(`input not found: ${missing.join(', ')}`);
  const media = await Promise.all(files.map(async (src) => ({ src, info: await probeInput(src, o.signal) })));
  checkMedia(media, plan, o);
  const streamNotes = audioStreamNotes(media, o.audioStream);
  for (const note of streamNotes) o.onEvent?.({ type: 'note', note });
  o.onEvent?.({ type: 'analysis', what: 'edit' });
  const dropScan = await scanAhead(media, o);
  try {
    return await editAndRender(media, plan, format, streamNotes, o);
  } finally {
    dropScan();
  }
}

/**
 * The smart render's scan of a lone video source (every packet), started beside the analysis of its sound,
 * which keeps one core busy: the render's decision then finds it done. Not for a full re-encode, nor for a
 * source smart rendering refuses anyway (turned, variable frame rate).
 */
async function scanAhead(
  media: { src: string; info: Awaited<ReturnType<typeof probeInput>> }[],
  o: LocalEditOptions,
): Promise<() => void> {
  const [only] = media;
  const info = only?.info;
  const eligible = media.length === 1 && info?.kind === 'video' && !info.vfr && !info.rotation && !o.reencode;
  if (!only || !eligible || (o.quality && o.quality !== 'high')) return () => {};
  const { ffprobe } = await findFfmpeg();
  return prefetchScan(ffprobe, only.src, o.signal);
}

async function editAndRender(
  media: { src: string; info: Awaited<ReturnType<typeof probeInput>> }[],
  plan: PlanResult,
  format: Awaited<ReturnType<typeof checkPlan>>,
  streamNotes: string[],
  o: LocalEditOptions,
): Promise<LocalEditResult> {
  const applied = await applyOps(draftFromMedia(media, { audioStream: o.audioStream }), plan.ops, {
    musicPath: o.musicPath,
    captionsPath: o.captionsPath,
    asrModelPath: o.asrModelPath,
    signal: o.signal,
  });
  const { draft } = applied;
  for (const note of applied.notes) o.onEvent?.({ type: 'note', note });
  const notes = [...streamNotes, ...applied.notes];
  const render = await renderDraft(draft, o.outPath, {
    signal: o.signal,
    format,
    quality: o.quality,
    overwrite: o.overwrite,
    reencode: o.reencode,
    onProgress: (p) => o.onEvent?.({ type: 'render.progress', ...p }),
  });
  const pathNote = renderPathNote(render.renderPath);
  if (pathNote) {
    notes.push(pathNote);
    o.onEvent?.({ type: 'note', note: pathNote });
  }
  return { outPath: render.path, draft, plan, notes, render };
}

/** The format an instruction's "export as …" asks for, if any (the CLI names default outputs by it). */
export function instructionFormat(instruction: string): LocalEditOptions['format'] {
  return plannedFormat(planInstruction(instruction).ops);
}

/** ffprobe of one input; a file ffprobe cannot read (damaged, truncated, not media) is bad input. */
async function probeInput(src: string, signal?: AbortSignal) {
  try {
    return await probeMedia(src, { signal });
  } catch (err) {
    if (err instanceof EngineAbortedError || !(err instanceof FfmpegFailedError)) throw err;
    const why =
      err.stderrTail
        .trim()
        .split('\n')
        .pop()
        ?.replace(/^.*?:\s*/, '') ?? '';
    throw new EditInputError(
      `cannot read ${path.basename(src)}: not a media file nemo can read, or damaged/truncated${why ? ` (${why})` : ''}`,
      { cause: err },
    );
  }
}
