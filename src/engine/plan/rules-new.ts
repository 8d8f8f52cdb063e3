/**
 * Planner rules for the operations added with issue 13: fades, volume and muting a range, rotate/flip,
 * crop to an aspect, a logo, fitting a platform's length limit, and speeding silences up. Pure.
 */
import { findTimeMatch } from '../planner-text.js';
import type { EditOp } from '../types.js';
import type { Eaten } from './accounting.js';
import type { LogoPosition } from './ops.js';
import { has, match, pathIn, type Rule } from './rule.js';
import { findRanges, SILENCE_WORDS } from './rules-core.js';

const FADE = /\bfade[sd]?\b|\bfade-?(?:in|out)\b|淡入|淡出/;

/** "fade in", "fade out", "add a fade in and fade out", "2 second fade to black at the end", "fade the audio out". */
export const fade: Rule = (c) => {
  if (!has(c, FADE)) return undefined;
  if (has(c, /\b(?:transitions?|between|cross-?fades?|dissolves?)\b|转场/)) return undefined;
  const wantsIn = has(c, /\bfade[sd]?[- ]?in\b|\bin\b|\bfrom black\b|\b(?:start|beginning)\b|淡入/);
  const wantsOut = has(c, /\bfade[sd]?[- ]?out\b|\bout\b|\bto black\b|\bend\b|淡出/);
  const both = !wantsIn && !wantsOut;
  const t = findTimeMatch(c.masked);
  const ms = t && t.ms > 0 ? t.ms : 1000;
  const soundOnly = has(c, /\b(?:audio|sound|music|volume)\b/);
  const pictureOnly = has(c, /\b(?:picture|image|visuals?)\b/);
  const op: EditOp = { op: 'fade', picture: !soundOnly, sound: !pictureOnly };
  if (wantsIn || both) op.inMs = ms;
  if (wantsOut || both) op.outMs = ms;
  const eat: Eaten[] = [
    FADE,
    /\b(?:fades?|faded|fade-?in|fade-?out|in|out|from|to|black|silence|at|start|beginning|end|both|ends|over|long|first|last|final)\b/,
    /\b(?:audio|sound|music|volume|picture|image|visuals?)\b/,
  ];
  if (t) eat.push(t.matched);
  return { ops: [op], eat };
};

const VOLUME =
  /\b(?:volume|louder|quieter|softer|boost|amplify|turn (?:it |the (?:audio|sound|volume) )?(?:up|down)|(?:lower|raise|reduce|increase) the (?:audio|sound|volume|level))\b|音量|大声|小声/;
const MUTE_WORD = /\b(?:mute|muted|silence)\b|静音/;
const UP = /\b(?:louder|boost|amplify|up|raise|increase)\b|大声/;
const DOWN = /\b(?:quieter|softer|down|lower|reduce|decrease)\b|小声/;

/** Where on the output a volume change applies: a range, the first N s or the last N s. */
function spanOf(
  c: Parameters<Rule>[0],
): { span: Partial<Record<'fromMs' | 'toMs' | 'lastMs', number>>; eat: Eaten[] } | undefined {
  const ranges = findRanges(c.masked);
  if (ranges.length > 1) return undefined;
  if (ranges[0]) {
    const r = ranges[0];
    return { span: { fromMs: r.fromMs, toMs: r.toMs }, eat: [r.matched, /\b(?:from|between)\b/] };
  }
  const t = findTimeMatch(c.masked, String.raw`\b(?:first|last|final)`);
  if (!t) return { span: {}, eat: [] };
  const last = /^\s*(?:last|final)/.test(t.matched);
  return { span: last ? { lastMs: t.ms } : { fromMs: 0, toMs: t.ms }, eat: [t.matched] };
}

/** "volume up", "turn it down 6 dB", "volume to 50%", "mute 0:05-0:08", "mute the last 2 seconds". */
export const volume: Rule = (c) => {
  const isMute = has(c, MUTE_WORD);
  if (!isMute && !has(c, VOLUME)) return undefined;
  const where = spanOf(c);
  if (!where) return { refuse: 'one range per clause for volume changes: "mute 0:05-0:08, mute 0:20-0:25"' };
  const ranged = Object.keys(where.span).length > 0;
  const eat: Eaten[] = [
    VOLUME,
    MUTE_WORD,
    UP,
    DOWN,
    ...where.eat,
    /\b(?:audio|sound|volume|level|by|to|db)\b/,
  ];
  if (isMute) {
    // A whole-clip "mute" is the mute rule's (it drops the audio stream).
    if (!ranged) return undefined;
    return { ops: [{ op: 'volume', gain: 0, ...where.span }], eat };
  }
  const up = has(c, UP);
  const down = has(c, DOWN);
  const db = match(c, /([+-]?\d+(?:\.\d+)?)\s*db\b/);
  const pct = match(c, /(\d+(?:\.\d+)?)\s*%/);
  const times = match(c, /(\d+(?:\.\d+)?)\s*(?:x|×|times)\b/);
  let gain: number | undefined;
  if (db) {
    const n = Number(db[1]);
    gain = 10 ** ((down && n > 0 ? -n : n) / 20);
    eat.push(db[0]);
  } else if (pct) {
    const n = Number(pct[1]) / 100;
    gain = /\bby\s*$/.test(c.masked.slice(0, pct.index)) ? (down ? 1 - n : 1 + n) : n;
    eat.push(pct[0]);
  } else if (times) {
    gain = down ? 1 / Number(times[1]) : Number(times[1]);
    eat.push(times[0]);
  } else if (up !== down) gain = 10 ** ((up ? 6 : -6) / 20);
  if (gain === undefined || !(gain >= 0) || gain > 16)
    return { refuse: `say how much: "volume up", "volume down 6 dB", "volume to 50%"` };
  return { ops: [{ op: 'volume', gain: Math.round(gain * 1000) / 1000, ...where.span }], eat };
};

const FLIP = /\b(?:flip|flipped|mirror|mirrored)\b|翻转|镜像/;

export const flip: Rule = (c) => {
  if (!has(c, FLIP)) return undefined;
  const vertical = has(c, /\b(?:vertical(?:ly)?|upside down|top to bottom)\b|垂直|上下/);
  return {
    ops: [{ op: 'flip', axis: vertical ? 'vertical' : 'horizontal' }],
    eat: [
      FLIP,
      /\b(?:horizontal(?:ly)?|vertical(?:ly)?|upside down|left to right|top to bottom|sideways|image|picture)\b|水平|垂直|上下|左右/,
    ],
  };
};

const ROTATE =
  /\brotat(?:e|ed|ion)\b|\bturn\b.*\b(?:sideways|upside down|clockwise|counter-?clockwise|anti-?clockwise|\d+ ?(?:°|degrees?))|旋转/;

export const rotate: Rule = (c) => {
  if (!has(c, ROTATE)) return undefined;
  const deg = match(c, /(-?\d{1,3})\s*(?:°|degrees?|deg)?/);
  const ccw = has(c, /\b(?:counter-?clockwise|anti-?clockwise|ccw|left)\b|逆时针/);
  let d = has(c, /\bupside down\b/) ? 180 : deg ? Number(deg[1]) : 90;
  if (ccw) d = -d;
  d = ((d % 360) + 360) % 360;
  if (d !== 90 && d !== 180 && d !== 270)
    return {
      refuse: 'rotation is in quarter turns: "rotate 90", "rotate 180", "rotate 90 counterclockwise"',
    };
  return {
    ops: [{ op: 'rotate', degrees: d }],
    eat: [
      ROTATE,
      ...(deg ? [deg[0]] : []),
      /\b(?:rotate[d]?|rotation|turn|by|degrees?|deg|clockwise|cw|counter-?clockwise|anti-?clockwise|ccw|left|right|sideways|upside down)\b|°|旋转|顺时针|逆时针/,
    ],
  };
};

const CROP = /\bcrop(?:ped)?\b|裁剪/;
const PLATFORM = /\b(?:tiktok|tik tok|reels?|shorts|stories|story|instagram|insta|ig|youtube|yt)\b|抖音/;
const ASPECT_WORDS: [RegExp, [number, number]][] = [
  [/\bsquare\b/, [1, 1]],
  [/\b(?:vertical|portrait)\b/, [9, 16]],
  [/\b(?:landscape|widescreen)\b/, [16, 9]],
];

/** "crop to 9:16", "crop it square": a centre crop at the source's resolution (platform names → presets). */
export const crop: Rule = (c) => {
  if (!has(c, CROP) || has(c, PLATFORM)) return undefined;
  const ratio = match(c, /\b(\d{1,2})\s*[:x×/]\s*(\d{1,2})\b/);
  const word = ASPECT_WORDS.find(([p]) => has(c, p));
  const aspect: [number, number] | undefined = ratio ? [Number(ratio[1]), Number(ratio[2])] : word?.[1];
  if (!aspect) return { refuse: 'crop to which shape? e.g. "crop to 9:16", "crop to 1:1", "crop to 4:5"' };
  const r = aspect[0] / aspect[1];
  if (!(r >= 0.25 && r <= 4))
    return { refuse: `the aspect ${aspect.join(':')} is too narrow to crop to (1:4 to 4:1)` };
  return {
    ops: [{ op: 'crop', aspect }],
    eat: [
      CROP,
      ...(ratio ? [ratio[0]] : []),
      ...ASPECT_WORDS.map(([p]) => p),
      /\b(?:aspect|ratio|center(?:ed)?|centre(?:d)?|frame)\b/,
    ],
  };
};

const LOGO = /\b(?:logo|watermark)\b|水印/;
const CORNERS: [RegExp, LogoPosition][] = [
  [/\b(?:top|upper)[- ]?left\b|左上/, 'top-left'],
  [/\b(?:top|upper)[- ]?right\b|右上/, 'top-right'],
  [/\b(?:bottom|lower)[- ]?left\b|左下/, 'bottom-left'],
  [/\b(?:bottom|lower)[- ]?right\b|右下/, 'bottom-right'],
];

/** "add logo brand.png in the top right corner": the image over the picture, 15 % of the width. */
export const logo: Rule = (c) => {
  if (!has(c, LOGO)) return undefined;
  const file = pathIn(c, ['png', 'jpe?g', 'webp', 'bmp']);
  if (!file) return { refuse: 'a logo needs its image file in the instruction, e.g. add logo brand.png' };
  const corner = CORNERS.find(([p]) => has(c, p));
  return {
    ops: [{ op: 'logo', path: file.path, position: corner?.[1] ?? 'bottom-right' }],
    eat: [
      LOGO,
      file.eat,
      ...CORNERS.map(([p]) => p),
      /\b(?:image|overlay|corner|at|position|over|on top|as)\b|角/,
    ],
  };
};

/** Length limits of platforms, for "make it fit Shorts" (the plan prints the limit it used). */
export const PLATFORM_LIMITS: [RegExp, string, number][] = [
  [/\b(?:youtube |yt )?shorts\b/, 'YouTube Shorts', 60_000],
  [/\b(?:instagram |insta |ig )?reels?\b/, 'Instagram Reels', 90_000],
  [/\b(?:instagram |insta |ig )?(?:stories|story)\b/, 'Instagram Stories', 60_000],
  [/\btik ?tok\b|抖音/, 'TikTok', 600_000],
  [/\b(?:twitter|x)\b/, 'X', 140_000],
];

/** "make it fit Shorts", "make it fit in 30 seconds": trim the end down to the limit when longer. */
export const fit: Rule = (c) => {
  if (!has(c, /\bfits?\b|\bshort enough\b|\b(?:under|within) the (?:limit|max(?:imum)?)\b/)) return undefined;
  const platform = PLATFORM_LIMITS.find(([p]) => has(c, p));
  const t = findTimeMatch(c.masked, String.raw`\b(?:in|into|under|within|to)`);
  const eat: Eaten[] = [
    /\b(?:fits?|into|in|for|under|within|limit|length|duration|max(?:imum)?|short enough|instagram|insta|ig|youtube|yt)\b/,
  ];
  if (t) {
    eat.push(t.matched);
    return { ops: [{ op: 'fit', maxMs: t.ms }], eat };
  }
  if (!platform) return undefined;
  eat.push(platform[0]);
  return { ops: [{ op: 'fit', maxMs: platform[2], platform: platform[1] }], eat };
};

const SPEED_UP = /\b(?:speed(?: it)? up|faster|fast forward|speed)\b|加速|快进/;

/** "speed up silences 4x" (auto-editor's silent speed): silent parts play faster instead of being cut. */
export const speedSilence: Rule = (c) => {
  if (!has(c, SILENCE_WORDS) || !has(c, SPEED_UP)) return undefined;
  const factor = match(c, /(\d+(?:\.\d+)?)\s*(?:x|×|times|倍)/);
  const f = factor ? Number(factor[1]) : 4;
  if (!(f > 1) || f > 20)
    return { refuse: 'silences can be sped up between 1× and 20×, e.g. "speed up silences 4x"' };
  return {
    ops: [{ op: 'speedSilence', factor: f }],
    eat: [
      SILENCE_WORDS,
      SPEED_UP,
      ...(factor ? [factor[0]] : []),
      /\b(?:instead of cutting(?: them)?|instead|by|to|through)\b/,
    ],
  };
};
