import {
  applyOps,
  draftFromMedia,
  planInstruction,
  probeMedia,
  renderDraft,
  SUPPORTED_OPERATIONS,
} from '../engine/index.js';
import type {
  ApplyContext,
  ApplyResult,
  EditOp,
  MediaInfo,
  PlanResult,
  RenderOptions,
  RenderResult,
} from '../engine/types.js';
import type { Draft } from '../timeline/index.js';

/** The part of the on-device engine (`src/engine`) the server's agent and renderer use. */
export interface Engine {
  planInstruction(text: string): PlanResult;
  SUPPORTED_OPERATIONS: readonly string[];
  probeMedia(path: string): Promise<MediaInfo>;
  draftFromMedia(media: { src: string; info: MediaInfo }[]): Draft;
  applyOps(draft: Draft, ops: EditOp[], ctx: ApplyContext): Promise<ApplyResult>;
  renderDraft(draft: Draft, outPath: string, opts: RenderOptions): Promise<RenderResult>;
}

export const engine: Engine = {
  planInstruction,
  SUPPORTED_OPERATIONS,
  probeMedia,
  draftFromMedia,
  applyOps,
  renderDraft,
};
