import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Draft } from '../timeline/index.js';
import { applyOps } from './apply.js';
import { draftFromMedia } from './draft-build.js';
import { EditInputError, UnknownInstructionError } from './errors.js';
import { findFfmpeg, getCapabilities } from './ffmpeg.js';
import { planInstruction, SUPPORTED_OPERATIONS } from './planner.js';
import { probeMedia } from './probe.js';
import { renderDraft } from './runner.js';
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
  format?: 'mp4' | 'webm' | 'mov' | 'gif';
  quality?: 'low' | 'medium' | 'high';
  onEvent?: (event: LocalEditEvent) => void;
  signal?: AbortSignal;
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
  // Probe ffmpeg's capabilities (four short runs) while the inputs are probed and analysed, not after:
  // renderDraft's own getCapabilities() then hits the cache. Errors surface there, where they are handled.
  findFfmpeg()
    .then((f) => getCapabilities(f.ffmpeg))
    .catch(() => {});
  o.onEvent?.({ type: 'analysis', what: 'probe' });
  const files = o.files.map((f) => path.resolve(f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new EditInputError(`input not found: ${missing.join(', ')}`);
  const media = await Promise.all(
    files.map(async (src) => ({ src, info: await probeMedia(src, { signal: o.signal }) })),
  );
  o.onEvent?.({ type: 'analysis', what: 'edit' });
  const { draft, notes } = await applyOps(draftFromMedia(media), plan.ops, {
    musicPath: o.musicPath,
    captionsPath: o.captionsPath,
    asrModelPath: o.asrModelPath,
    signal: o.signal,
  });
  for (const note of notes) o.onEvent?.({ type: 'note', note });
  const render = await renderDraft(draft, o.outPath, {
    signal: o.signal,
    format: o.format,
    quality: o.quality,
    onProgress: (p) => o.onEvent?.({ type: 'render.progress', ...p }),
  });
  return { outPath: render.path, draft, plan, notes, render };
}
