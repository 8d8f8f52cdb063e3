import type { Draft } from '../timeline/index.js';
import { applyCut, applyTrimIntro, applyTrimSilence } from './apply-cuts.js';
import { applyExtraOp } from './apply-extras.js';
import { applyCaptions, applyMusic, applyTitle, requireFile } from './apply-tracks.js';
import { syncDuration, videoTrack } from './draft-build.js';
import { abortAware, EngineAbortedError } from './errors.js';
import { draftFx as fx, parseDraft, readFx } from './model/index.js';
import { EXTRA_CUT_OPS, isExtraOp } from './plan/ops.js';
import { segmentSpeed } from './timeline-cut.js';
import type { ApplyContext, ApplyResult, EditOp } from './types.js';

const DEFAULT_TRANSITION_MS = 500;

function applySpeed(draft: Draft, factor: number): string {
  const video = videoTrack(draft);
  for (const track of draft.t) {
    for (const s of track.sg) {
      s.d /= factor;
      if (s.m?.at !== undefined) s.m.at /= factor;
      if (track === video) s.m = { ...s.m, speed: segmentSpeed(s) * factor };
    }
  }
  return `speed ×${factor}`;
}

function applyTransition(draft: Draft, op: Extract<EditOp, { op: 'transition' }>): string {
  const sg = videoTrack(draft)?.sg ?? [];
  if (sg.length < 2) return 'transitions: there is only one clip, nothing to transition between';
  const type = op.type ?? 'fade';
  const wanted = op.ms ?? DEFAULT_TRANSITION_MS;
  let shortest = wanted;
  for (let k = 1; k < sg.length; k++) {
    // A transition never takes more than half of either clip it joins.
    const d = Math.round(Math.min(wanted, sg[k - 1]!.d / 2, sg[k]!.d / 2));
    shortest = Math.min(shortest, d);
    sg[k]!.m = { ...sg[k]!.m, transition: { type, d } };
  }
  const n = sg.length - 1;
  const length =
    shortest < wanted ? `up to ${wanted} ms (${shortest} ms where a clip is short)` : `${wanted} ms`;
  return `added ${n} ${type} transition${n > 1 ? 's' : ''} of ${length}`;
}

const GRADE_NAMES: Record<string, string> = {
  warm: 'warm',
  cool: 'cool',
  cinematic: 'cinematic teal-orange',
  vintage: 'vintage',
  bw: 'black & white',
  vivid: 'vivid',
};

async function applyOne(draft: Draft, op: EditOp, ctx: ApplyContext): Promise<string> {
  if (isExtraOp(op)) return applyExtraOp(draft, op, ctx);
  switch (op.op) {
    case 'trimSilence':
      return applyTrimSilence(draft, op, ctx);
    case 'trimIntro':
      return applyTrimIntro(draft, op, ctx);
    case 'cutStart':
    case 'cutEnd':
    case 'keepRange':
    case 'cutRange':
    case 'trimTo':
      return applyCut(draft, op);
    case 'speed':
      return applySpeed(draft, op.factor);
    case 'mute':
      fx(draft).mute = true;
      return 'muted the original audio';
    case 'music':
      return applyMusic(draft, op, ctx);
    case 'loudnorm':
      fx(draft).loudnorm = { i: op.lufs, tp: op.tp ?? -1.5, lra: op.lra ?? 11 };
      return `normalize loudness to ${op.lufs} LUFS (two-pass, 48 kHz)`;
    case 'denoise':
      fx(draft).denoise = true;
      return 'denoise the audio';
    case 'grade':
      fx(draft).grade =
        op.look === 'lut' ? { look: 'lut', lut: requireFile(op.lut ?? '', 'LUT') } : { look: op.look };
      return op.look === 'lut' ? `colour grade with LUT ${op.lut}` : `colour grade: ${GRADE_NAMES[op.look]}`;
    case 'title':
      return applyTitle(draft, op);
    case 'captions':
      return applyCaptions(draft, op, ctx);
    case 'transition':
      return applyTransition(draft, op);
    case 'concat': {
      const n = new Set(videoTrack(draft)?.sg.map((s) => s.m?.src)).size;
      return n > 1 ? `joined ${n} clips in order` : 'join: there is only one clip';
    }
    case 'preset':
      fx(draft).preset = { name: op.name, fit: op.fit ?? 'blur' };
      return `preset ${op.name}${op.fit === 'crop' ? ' (crop)' : ''}`;
    case 'enhance':
      fx(draft).enhance = op.scale === undefined ? {} : { scale: op.scale };
      return `enhance (denoise, lanczos upscale ${op.scale === undefined ? 'to 1080p' : `×${op.scale}`} in ≤2× steps, sharpen)`;
    case 'stabilize':
      fx(draft).stabilize = true;
      return 'stabilize';
    case 'format':
      fx(draft).format = op.format;
      return `output format ${op.format}`;
    case 'export':
      return `export (${readFx(draft).format ?? 'mp4'})`;
  }
}

const CUTS = new Set<EditOp['op']>([
  'trimSilence',
  'trimIntro',
  'cutStart',
  'cutEnd',
  'keepRange',
  'cutRange',
  'trimTo',
  ...EXTRA_CUT_OPS,
]);

/**
 * Cuts first (in their order), then everything else (in its order): text and music are placed on the
 * final timeline, so "add captions, trim silences" keeps every caption on its words.
 */
export function orderOps(ops: EditOp[]): EditOp[] {
  return [...ops.filter((op) => CUTS.has(op.op)), ...ops.filter((op) => !CUTS.has(op.op))];
}

/**
 * Applies the ops to a copy of `draft`, cuts first (`orderOps`); the ops write the draft's short keys
 * through model/edge.ts. Silence trimming, "trim the intro" and captions run cheap analysis passes;
 * everything else only edits the draft. Returns one note per op, in the order applied.
 */
export async function applyOps(draft: Draft, ops: EditOp[], ctx: ApplyContext = {}): Promise<ApplyResult> {
  parseDraft(draft); // the boundary: a malformed draft is refused before any analysis (MalformedDraftError)
  const next = structuredClone(draft);
  const notes: string[] = [];
  try {
    for (const op of orderOps(ops)) {
      if (ctx.signal?.aborted) throw new EngineAbortedError();
      notes.push(await applyOne(next, op, ctx));
      syncDuration(next);
    }
  } catch (err) {
    throw abortAware(err, ctx.signal);
  }
  return { draft: next, notes };
}
