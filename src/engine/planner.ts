/**
 * Instruction text → edit operations, clause by clause, with word accounting: a clause is either read
 * completely (every content word taken by a rule) or refused, naming the words nobody read. Pure.
 */
import { consume, contentWords } from './plan/accounting.js';
import type { TimeSpan } from './plan/ops.js';
import { isRefused, type Outcome, type Rule } from './plan/rule.js';
import {
  captions,
  concat,
  cutEdge,
  denoise,
  enhance,
  grade,
  loudnorm,
  music,
  mute,
  output,
  range,
  speed,
  stabilize,
  title,
  transition,
  trimIntro,
  trimSilence,
  trimTo,
} from './plan/rules-core.js';
import { crop, fade, fit, flip, logo, rotate, speedSilence, volume } from './plan/rules-new.js';
import { type Clause, QUOTE_MARK, splitClauses } from './planner-text.js';
import type { EditOp, PlanResult } from './types.js';

/** What the planner understands, grouped, as examples (for the "unknown clause" error and `nemo plan`). */
export const SUPPORTED_GROUPS: readonly { group: string; items: readonly string[] }[] = [
  {
    group: 'cuts',
    items: [
      'trim silences ("aggressive"/"gentle"; 剪掉静音)',
      'speed up silences 4x (instead of cutting them)',
      'cut the first 5 seconds / the last 3s (or both: "the first 2 s and the last 3 s")',
      'trim the intro',
      'keep 0:10-0:25 / cut 0:05-0:08 and 0:20-0:25 (times of the input)',
      'trim to 30s',
      'make it fit Shorts (60 s) / Reels (90 s) / TikTok (10 min) / in 30 seconds',
      'speed up 1.5x / slow down to 0.5x',
    ],
  },
  {
    group: 'picture',
    items: [
      'colour grade warm / cool / cinematic / vintage / black and white / vivid / look.cube',
      'fade in / fade out (picture and sound)',
      'rotate 90 / rotate 90 counterclockwise / upside down',
      'flip / mirror / flip vertically',
      'crop to 9:16 / 1:1 / 4:5 (centre crop)',
      'add logo brand.png (top-left, top-right, bottom-left, bottom-right)',
      'enhance / upscale 2x',
      'stabilize',
    ],
  },
  {
    group: 'sound',
    items: [
      'mute (静音) / mute 0:05-0:08 / mute the last 2 seconds',
      'volume up / volume down 6 dB / volume to 50%',
      'add background music music.mp3 (or --music; ducked under speech; 加背景音乐)',
      'normalize audio (-14 LUFS; "for podcast" -16 LUFS; 标准化音量)',
      'denoise the audio (降噪)',
    ],
  },
  {
    group: 'text',
    items: [
      "add title 'Hello' / lower third 'Jane Doe' (加标题)",
      'add captions (--captions subs.srt, --asr-model, or pocketsphinx; 加字幕)',
    ],
  },
  { group: 'clips', items: ['join the clips', 'add crossfade transitions (fade, dissolve, wipe, slide)'] },
  {
    group: 'export',
    items: [
      'export for TikTok / Reels / Shorts (1080x1920, "crop" to crop), YouTube, Instagram square or 4:5, 4K',
      'export as mp4 / webm / mov / gif (导出)',
    ],
  },
];

/** The same examples as one flat list (the server's agent and `nemo chat --local` print it). */
export const SUPPORTED_OPERATIONS: readonly string[] = SUPPORTED_GROUPS.flatMap((g) => g.items);

/** Requests nemo recognises and cannot do honestly: refused with the reason and what to say instead. */
const CANNOT: [RegExp, string][] = [
  [
    /\b(?:boring|dull|uninteresting|bad parts?|best parts?|highlights?|interesting parts?|good parts?|important parts?|unnecessary parts?|useless parts?)\b|无聊/,
    'nemo cannot tell which parts are boring (it has no model of what is interesting). It can find silences: ' +
      'say "trim silences" to cut them, or "speed up silences" to play them faster',
  ],
  [
    /\b(?:ums?|umm+|uhs?|uhh+|uhms?|erms?|filler(?: words?)?|fillers|hesitations?|stutter(?:s|ing)?)\b|嗯|呃/,
    'removing filler words ("um", "uh") needs word-level speech recognition, which nemo does not do ' +
      'reliably on this machine. "trim silences" removes the pauses around them',
  ],
  [
    /\btranslat\w*|\b(?:in|into)\s+(?:spanish|french|german|chinese|japanese|korean|italian|portuguese|russian|arabic|hindi)\b|翻译/,
    'nemo cannot translate: captions come out in the spoken language. To burn a translation you have, ' +
      'say "add captions" and pass --captions translated.srt',
  ],
  [/\bunmute\b/, 'there is nothing to unmute: nemo keeps the sound unless told to mute it'],
  [
    /^(?:make|get)\s+(?:it|the video|the clip|this)\s+(?:a bit |a little |much )?(?:shorter|longer)$/,
    'say how: "trim to 30s", "cut the last 5 seconds", "trim silences" or "make it fit Shorts"',
  ],
];

/**
 * Things an instruction may ask to change: [pattern, "there is no …", exists (an earlier clause adds it),
 * what nemo cannot change about it].
 */
const TARGETS: [RegExp, string, (op: EditOp) => boolean, string][] = [
  [
    /\b(?:the|that|this|my|its)\s+(?:title|heading|headline|lower third|text)\b/,
    'there is no title to change',
    (op) => op.op === 'title',
    'nemo draws titles centred and sized to fit; their size and place cannot be changed yet',
  ],
  [
    /\b(?:the|that|this|my|its)\s+(?:captions?|subtitles?|subs)\b/,
    'there are no captions to change',
    (op) => op.op === 'captions',
    'captions are drawn at the bottom, sized to the frame; they cannot be changed yet',
  ],
  [
    /\b(?:the|that|this|my|its)\s+(?:music|song|soundtrack)\b/,
    'there is no music to change',
    (op) => op.op === 'music',
    'set the music level where you add it: "add music song.mp3 at 20%"',
  ],
  [
    /\b(?:the|that|this|my|its)\s+(?:logo|watermark)\b/,
    'there is no logo to change',
    (op) => op.op === 'logo',
    'a logo is 15 % of the width; say its corner where you add it: "add logo brand.png top left"',
  ],
];
const CHANGE =
  /\b(?:bigger|larger|smaller|tinier|move|moved|change|edit|resize|bold(?:er)?|colou?r|font|higher|lower|louder|quieter|softer|longer|shorter|remove|delete|drop|hide|replace|fix|brighter|darker)\b/;

/** Order matters: refusals first, then more specific rules (silence before mute: 静音 is both). */
const RULES: Rule[] = [
  title,
  captions,
  speedSilence,
  trimSilence,
  trimIntro,
  volume,
  range,
  cutEdge,
  fit,
  trimTo,
  music,
  mute,
  loudnorm,
  denoise,
  fade,
  transition,
  logo,
  flip,
  rotate,
  crop,
  grade,
  concat,
  enhance,
  stabilize,
  speed,
  output,
];

/** A clause the planner would not do, and why. */
export interface PlanRefusal {
  text: string;
  /** The content words no rule read (empty when the whole request is refused). */
  words: string[];
  reason: string;
}

export interface PlanClause {
  text: string;
  ops: EditOp[];
  /** How the clause was read when it borrowed the previous clause's verb ("the last 2 s" → "cut the last 2 s"). */
  readAs?: string;
}

export interface Plan extends PlanResult {
  clauses: PlanClause[];
  /** One entry per refused clause (its text is also in `unknown`). */
  refused: PlanRefusal[];
  /** Several cuts were merged into one `ranges` op, all read on the input's timeline. */
  mergedCuts: boolean;
}

interface Reading {
  ops: EditOp[];
  words: string[];
  refusal?: string;
}

const shown = (word: string, c: Clause): string =>
  word.includes(QUOTE_MARK) ? JSON.stringify(c.quotes.join(' ')) : word;

/** One rule's reading of a clause, then other rules on what it left (so "punchy for Instagram" is grade + preset). */
function readWith(rule: Rule, c: Clause): Reading | undefined {
  const first: Outcome | undefined = rule(c);
  if (!first) return undefined;
  if (isRefused(first)) return { ops: [], words: [], refusal: first.refuse };
  let ops = first.ops;
  let rest = consume(c.masked, first.eat);
  let words = contentWords(rest);
  while (words.length > 0) {
    let progressed = false;
    for (const next of RULES) {
      const o = next({ ...c, masked: rest });
      if (!o || isRefused(o) || o.ops.some((a) => ops.some((b) => a.op === b.op))) continue;
      const rest2 = consume(rest, o.eat);
      const words2 = contentWords(rest2);
      if (words2.length < words.length) {
        ops = [...ops, ...o.ops];
        rest = rest2;
        words = words2;
        progressed = true;
        break;
      }
    }
    if (!progressed) break;
  }
  return { ops, words: words.map((w) => shown(w, c)) };
}

/** The first complete reading (every word read); else the first partial one, for the error. */
function readClause(c: Clause): Reading | undefined {
  let fallback: Reading | undefined;
  for (const rule of RULES) {
    const r = readWith(rule, c);
    if (!r) continue;
    if (!r.refusal && r.words.length === 0) return r;
    fallback ??= r;
  }
  return fallback;
}

/** A clause made only of times/positions ("the last 2 seconds", "0:20-0:25") continues the previous verb. */
const ARGUMENTS_ONLY = /^(?:the\s+)?(?:(?:first|last|final|opening)\b|(?:from|between)\s+\d|\d)/;
const ARGUMENT_START = /\b(?:the\s+)?(?:first|last|final|opening|from|between)\b|\d/;

function verbOf(previous: Clause | undefined): string | undefined {
  if (!previous) return undefined;
  const at = previous.masked.search(ARGUMENT_START);
  const head = (at < 0 ? '' : previous.masked.slice(0, at)).trim();
  return head && contentWords(head).length > 0 ? head : undefined;
}

/** Whether `c` asks to change something (the title, the music) no earlier clause adds. */
function missingTarget(c: Clause, before: EditOp[]): string | undefined {
  if (/^(?:add|put|insert|create|show)\b/.test(c.masked) || !CHANGE.test(c.masked)) return undefined;
  for (const [pattern, what, exists, cannot] of TARGETS) {
    if (!pattern.test(c.masked)) continue;
    if (before.some(exists)) return cannot;
    return `${what}: this instruction adds none, and nemo cannot change what is already in the picture or sound`;
  }
  return undefined;
}

/** Ops of which one edit can hold only one (a second would silently replace the first). */
const SINGLE = new Map<EditOp['op'], string>([
  ['grade', 'colour grade'],
  ['preset', 'export preset'],
  ['format', 'output format'],
  ['loudnorm', 'loudness target'],
  ['logo', 'logo'],
]);

const TIMELINE_CUTS = new Set<EditOp['op']>(['cutStart', 'cutEnd', 'cutRange', 'keepRange']);

/**
 * Two or more cuts by time become ONE `ranges` op, read on the input's timeline (applied one after the
 * other, "cut 0:05-0:08 and 0:20-0:25" would remove 0:23-0:28 of the input second).
 */
function mergeCuts(ops: EditOp[]): { ops: EditOp[]; merged: boolean } {
  const cuts = ops.filter((o) => TIMELINE_CUTS.has(o.op));
  if (cuts.length < 2) return { ops, merged: false };
  const keep: TimeSpan[] = [];
  const cut: TimeSpan[] = [];
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  for (const o of cuts) {
    if (o.op === 'keepRange') keep.push({ fromMs: o.fromMs, toMs: o.toMs });
    else if (o.op === 'cutRange') cut.push({ fromMs: o.fromMs, toMs: o.toMs });
    else if (o.op === 'cutStart') firstMs = Math.max(firstMs ?? 0, o.ms);
    else if (o.op === 'cutEnd') lastMs = Math.max(lastMs ?? 0, o.ms);
  }
  const merged: EditOp = { op: 'ranges', keep, cut };
  if (firstMs !== undefined) merged.firstMs = firstMs;
  if (lastMs !== undefined) merged.lastMs = lastMs;
  const at = ops.indexOf(cuts[0]!);
  const rest = ops.filter((o) => !TIMELINE_CUTS.has(o.op));
  const before = ops.slice(0, at).filter((o) => !TIMELINE_CUTS.has(o.op)).length;
  return { ops: [...rest.slice(0, before), merged, ...rest.slice(before)], merged: true };
}

/** Instruction text → edit operations, clause by clause. Pure and deterministic. */
export function planInstruction(text: string): Plan {
  const clauses: PlanClause[] = [];
  const refused: PlanRefusal[] = [];
  let previous: Clause | undefined;
  for (const clause of splitClauses(text)) {
    const before = clauses.flatMap((c) => c.ops);
    const refuse = (reason: string, words: string[] = []): void => {
      refused.push({ text: clause.text, words, reason });
      clauses.push({ text: clause.text, ops: [] });
    };
    const cannot = CANNOT.find(([p]) => p.test(clause.masked));
    if (cannot) {
      refuse(cannot[1]);
      continue;
    }
    const missing = missingTarget(clause, before);
    if (missing) {
      refuse(missing);
      continue;
    }
    let reading = readClause(clause);
    let readAs: string | undefined;
    const verb = ARGUMENTS_ONLY.test(clause.masked) ? verbOf(previous) : undefined;
    if (verb && (!reading || reading.refusal || reading.words.length > 0)) {
      const borrowed: Clause = { ...clause, masked: `${verb} ${clause.masked}` };
      const again = readClause(borrowed);
      if (again && !again.refusal && again.words.length === 0) {
        reading = again;
        readAs = `${verb} ${clause.text}`;
      }
    }
    if (!reading) {
      refuse('nemo does not know this edit', contentWords(clause.masked));
      continue;
    }
    if (reading.refusal) {
      refuse(reading.refusal);
      continue;
    }
    if (reading.words.length > 0) {
      const words = reading.words.map((w) => `"${w}"`).join(', ');
      refuse(
        `nemo did not understand ${words} (the rest reads as: ${reading.ops.map((o) => o.op).join(' + ')}); ` +
          'it does not drop words it cannot read',
        reading.words,
      );
      continue;
    }
    const clash = reading.ops.find((o) => SINGLE.has(o.op) && before.some((b) => b.op === o.op));
    if (clash) {
      refuse(`only one ${SINGLE.get(clash.op)} per edit: an earlier clause already sets it`);
      continue;
    }
    clauses.push(
      readAs ? { text: clause.text, ops: reading.ops, readAs } : { text: clause.text, ops: reading.ops },
    );
    previous = readAs ? { ...clause, masked: `${verb} ${clause.masked}` } : clause;
  }
  const { ops, merged } = mergeCuts(clauses.flatMap((c) => c.ops));
  return { ops, unknown: refused.map((r) => r.text), clauses, refused, mergedCuts: merged };
}
