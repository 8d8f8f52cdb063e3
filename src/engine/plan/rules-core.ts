/**
 * The planner's rules for the operations nemo has had since the start (cuts, speed, audio, colour,
 * text, clips, export). Each returns the ops and exactly what it read, so that the planner can name
 * the words no rule read. Pure.
 */
import { findTimeMatch, parseTime, QUOTE_MARK, TIME } from '../planner-text.js';
import type { EditOp } from '../types.js';
import type { Eaten } from './accounting.js';
import { has, match, pathIn, type Rule } from './rule.js';

export const SILENCE_WORDS =
  /\b(?:silen(?:ce|ces|t)(?: parts?| bits?| sections?| spots?| moments?)?|pauses?|dead air|gaps?|quiet (?:parts?|bits?))\b|jump ?cuts?|静音|停顿|空白/;
const TRIM_VERBS =
  /\b(?:trim|cut|cuts|remove|delete|drop|skip|strip|jump ?cut|get rid of|shorten|out)\b|剪|去|删|减/;
const AGGRESSIVE = /\b(?:aggressive(?:ly)?|tight(?:ly)?|hard)\b|激进/;
const GENTLE = /\b(?:gentle|gently|light(?:ly)?|soft(?:ly)?|conservative(?:ly)?)\b|轻/;

/** "the silence at the start": the silent intro, not every silence. */
const LEADING_SILENCE =
  /\b(?:leading silence|(?:silence|silent part|pause) at the (?:start|beginning)|silent (?:start|beginning))\b/;

export const trimSilence: Rule = (c) => {
  if (
    !has(c, SILENCE_WORDS) ||
    !has(c, TRIM_VERBS) ||
    has(c, /\b(?:audio|sound)\b/) ||
    has(c, /\bintro\b/) ||
    has(c, LEADING_SILENCE)
  )
    return undefined;
  const eat: Eaten[] = [SILENCE_WORDS, TRIM_VERBS, AGGRESSIVE, GENTLE];
  if (has(c, AGGRESSIVE)) return { ops: [{ op: 'trimSilence', thresholdDb: -25, marginMs: 100 }], eat };
  if (has(c, GENTLE))
    return { ops: [{ op: 'trimSilence', thresholdDb: -35, marginMs: 300, minCutMs: 800 }], eat };
  return { ops: [{ op: 'trimSilence' }], eat };
};

export const trimIntro: Rule = (c) => {
  const verbs = /\b(?:trim|cut|remove|skip|drop|delete)\b|剪|去|删/;
  const intro = /\bintro\b|片头|开头/;
  if ((!has(c, intro) && !has(c, LEADING_SILENCE)) || !has(c, verbs)) return undefined;
  const t = findTimeMatch(c.masked);
  const eat: Eaten[] = [intro, LEADING_SILENCE, verbs, /\b(?:from|leading|silent|first|opening)\b/];
  if (t) eat.push(t.matched);
  return { ops: [t === undefined ? { op: 'trimIntro' } : { op: 'trimIntro', ms: t.ms }], eat };
};

/** "0:05-0:08", "from 5s to 8s", "between 0:05 and 0:08" — every range of the clause. */
export const RANGE = new RegExp(
  `(?:\\b(?:from|between)\\s+)?${TIME}\\s*(?:-|–|—|\\bto\\b|\\buntil\\b|\\btill\\b|\\bthrough\\b|\\band\\b|到|至)\\s*${TIME}`,
  'g',
);

export interface FoundRange {
  fromMs: number;
  toMs: number;
  matched: string;
}

export function findRanges(masked: string): FoundRange[] {
  const out: FoundRange[] = [];
  for (const m of masked.matchAll(RANGE)) {
    const fromMs = parseTime(m[1]!);
    const toMs = parseTime(m[2]!);
    if (fromMs !== undefined && toMs !== undefined) out.push({ fromMs, toMs, matched: m[0] });
  }
  return out;
}

const KEEP_VERBS = /\b(?:keep|only|use|extract|clip|just)\b|保留|只要/;
const CUT_VERBS = /\b(?:cut|remove|delete|drop|skip|chop|out)\b|剪掉|删除|去掉/;

/** "keep 0:10-0:25" keeps ranges; "cut 0:05-0:10 and 0:20-0:25" / "remove from 5s to 8s" removes them. */
export const range: Rule = (c) => {
  const ranges = findRanges(c.masked);
  if (ranges.length === 0) return undefined;
  const backwards = ranges.find((r) => r.toMs <= r.fromMs);
  if (backwards)
    return { refuse: `the range "${backwards.matched.trim()}" ends before it starts; write it as start-end` };
  const keep = has(c, KEEP_VERBS);
  const cut = has(c, CUT_VERBS);
  if (!keep && !cut && !has(c, /\b(?:from|between)\b/)) return undefined;
  const op = keep || !cut ? 'keepRange' : 'cutRange';
  return {
    ops: ranges.map((r) => ({ op, fromMs: r.fromMs, toMs: r.toMs })),
    eat: [
      ...ranges.map((r) => r.matched),
      KEEP_VERBS,
      CUT_VERBS,
      /\b(?:from|between|part|parts|section|sections|bit|segment|segments)\b/,
    ],
  };
};

const EDGE_VERBS = /\b(?:cut|trim|remove|drop|skip|delete|chop|lose)\b|剪|去|删/;
const END_WORDS = /\b(?:last|end|ending|final|tail|outro)\b|最后|结尾|末尾/;
const START_WORDS = /\b(?:first|beginning|start|opening|head)\b|前|开头/;

/** "cut the first 5 seconds", "cut the last 3s", "cut the first and last 2 s". */
export const cutEdge: Rule = (c) => {
  if (!has(c, EDGE_VERBS)) return undefined;
  const t = findTimeMatch(c.masked);
  if (!t) return undefined;
  const end = has(c, END_WORDS);
  const start = has(c, START_WORDS);
  if (!end && !start) return undefined;
  const ops: EditOp[] = [];
  if (start) ops.push({ op: 'cutStart', ms: t.ms });
  if (end) ops.push({ op: 'cutEnd', ms: t.ms });
  return { ops, eat: [EDGE_VERBS, END_WORDS, START_WORDS, t.matched, /\b(?:from|off|at|by)\b/] };
};

/** "trim to 30s", "trim it down to 1:30", "keep the first 10 seconds", "make it 30s long". */
export const trimTo: Rule = (c) => {
  const patterns = [
    new RegExp(
      `\\b(?:trim|cut|shorten|limit|make|keep)\\b(?:\\s+(?:it|this|that|the (?:video|clip|whole thing)))?\\s+(?:down\\s+)?(?:to|at)\\s+(?:the\\s+first\\s+)?${TIME}`,
    ),
    new RegExp(`\\bkeep (?:only )?the first\\s+${TIME}`),
    new RegExp(`\\bmake it\\s+${TIME}\\s+long\\b`),
  ];
  for (const p of patterns) {
    const m = match(c, p);
    const ms = m ? parseTime(m[1]!) : undefined;
    if (m && ms !== undefined)
      return { ops: [{ op: 'trimTo', ms }], eat: [m[0], /\b(?:only|long|max|maximum)\b/] };
  }
  return undefined;
};

const TITLE_WORDS = /\b(?:title card|title|heading|headline)\b|标题/;
const LOWER_THIRD = /\blower[- ]?thirds?\b|\bname (?:tag|card|strap)\b|字幕条/;

/** "add title 'Hello'", "lower third 'Jane Doe' at 2s for 4 seconds", "add title Hello". */
export const title: Rule = (c) => {
  const lower = has(c, LOWER_THIRD);
  if (!lower && !has(c, TITLE_WORDS)) return undefined;
  const eat: Eaten[] = [
    TITLE_WORDS,
    LOWER_THIRD,
    /\b(?:saying|that says|says|reading|text|called|named|insert|show|create)\b/,
  ];
  let text: string | undefined = c.quotes[0];
  if (text !== undefined && c.masked.includes(QUOTE_MARK)) eat.push(QUOTE_MARK);
  else {
    // Unquoted text only right after "add title" / "title:" (so "make the title bigger" is not a title "bigger").
    const m =
      /^(?:(?:add|put|insert|create|show)\s+(?:a\s+|an\s+|the\s+)?)?(?:title card|title|heading|headline|lower[- ]?third)\s*(?:text\s*)?(?:saying|that says|reading|with|of|:)?\s*(.+)$/i.exec(
        c.text,
      );
    text = m?.[1]?.trim();
    if (!text || text.includes(QUOTE_MARK))
      return { refuse: `a title needs its text, e.g. add title 'Hello'` };
    return {
      ops: [{ op: 'title', text, style: lower ? 'lower-third' : 'title' }],
      eat: [/[\s\S]+/],
    };
  }
  const at = findTimeMatch(c.masked, String.raw`\bat`);
  const dur = findTimeMatch(c.masked, String.raw`\bfor`);
  const op: EditOp = { op: 'title', text, style: lower ? 'lower-third' : 'title' };
  if (at) {
    op.atMs = at.ms;
    eat.push(at.matched);
  }
  if (dur) {
    op.durationMs = dur.ms;
    eat.push(dur.matched);
  }
  return { ops: [op], eat };
};

const CAPTION_WORDS =
  /\b(?:closed captions?|captions?|captioning|subtitles?|subs|transcri(?:be|pt|ption)|srt)\b|字幕/;

export const captions: Rule = (c) => {
  if (!has(c, CAPTION_WORDS)) return undefined;
  const path = pathIn(c, ['srt', 'vtt']);
  return {
    ops: [path ? { op: 'captions', path: path.path } : { op: 'captions' }],
    eat: [
      CAPTION_WORDS,
      ...(path ? [path.eat] : []),
      /\b(?:auto(?:matic)?|auto-generated|generate|create|burn(?:ed|t)?|hard(?:coded)?|from|show)\b/,
    ],
  };
};

const MUSIC_WORDS = /\b(?:music|bgm|soundtrack|song|backing track)\b|音乐|配乐/;

export const music: Rule = (c) => {
  if (!has(c, MUSIC_WORDS)) return undefined;
  const path = pathIn(c, ['mp3', 'wav', 'm4a', 'aac', 'flac', 'ogg', 'opus', 'wma', 'aiff?']);
  const pct = match(c, /(\d{1,3})\s*%/);
  const noDuck = /\b(?:no|without|don't|dont) duck(?:ing)?\b/;
  const op: EditOp = { op: 'music', duck: !has(c, noDuck) };
  if (path) op.path = path.path;
  if (pct) op.volume = Number(pct[1]) / 100;
  return {
    ops: [op],
    eat: [
      MUSIC_WORDS,
      noDuck,
      ...(path ? [path.eat] : []),
      ...(pct ? [pct[0]] : []),
      /\b(?:background|backing|bg|at|volume|ducked|ducking|duck|under (?:the )?(?:speech|voice|voices|talking|dialogue)|from)\b|背景/,
    ],
  };
};

const MUTE =
  /\b(?:mute|muted)\b|\b(?:remove|strip|drop|delete|kill|no|without)\b.*\b(?:audio|sound)\b|静音|去掉声音|去除声音/;

export const mute: Rule = (c) =>
  has(c, MUTE)
    ? {
        ops: [{ op: 'mute' }],
        eat: [
          /\b(?:mute|muted|remove|strip|drop|delete|kill|no|without|original|audio|sound|track)\b|静音|去掉声音|去除声音/,
        ],
      }
    : undefined;

const LOUDNORM =
  /\b(?:normali[sz]e|normali[sz]ation|loudness|lufs|level the audio|even out the (?:audio|volume))\b|标准化|响度|音量均衡/;

export const loudnorm: Rule = (c) => {
  if (!has(c, LOUDNORM)) return undefined;
  const lufs = match(c, /(-\d+(?:\.\d+)?)\s*lufs/);
  const podcast = /\b(?:podcast|spoken word|audiobook)\b|播客/;
  return {
    ops: [{ op: 'loudnorm', lufs: lufs ? Number(lufs[1]) : has(c, podcast) ? -16 : -14 }],
    eat: [
      LOUDNORM,
      podcast,
      ...(lufs ? [lufs[0]] : []),
      /\b(?:level|levels|even out|audio|sound|volume|voice|lufs)\b|音量/,
    ],
  };
};

const DENOISE =
  /\b(?:de-?noise|noise reduction|reduce (?:the )?(?:background )?noise|remove (?:the )?(?:background )?(?:noise|hiss|hum)|clean up the audio)\b|降噪|去噪/;

export const denoise: Rule = (c) =>
  has(c, DENOISE)
    ? { ops: [{ op: 'denoise' }], eat: [DENOISE, /\b(?:audio|sound|background|voice|noise)\b/] }
    : undefined;

const LOOKS: [RegExp, Extract<EditOp, { op: 'grade' }>['look']][] = [
  [/\b(?:black[- ]and[- ]white|b&w|b\/w|monochrome|grayscale|greyscale|mono)\b|黑白/, 'bw'],
  [/\b(?:cinematic|teal[- ](?:and[- ])?orange|teal|orange|film look|filmic|movie look)\b|电影/, 'cinematic'],
  [/\b(?:vintage|retro|old film|faded)\b|复古/, 'vintage'],
  [/\b(?:warm|warmer|golden)\b|暖/, 'warm'],
  [/\b(?:cool|cooler|cold|colder|blue)\b|冷/, 'cool'],
  [/\b(?:vivid|vibrant|saturated|punchy|pop)\b|鲜艳/, 'vivid'],
];
const GRADE_WORDS =
  /\b(?:colou?r ?grade|colou?r ?grading|grading|grade|colou?r correct(?:ion)?|colou?rs?|look|looks|tone|tones|style|filter|feel|more)\b|调色/;

export const grade: Rule = (c) => {
  const lut = pathIn(c, ['cube']);
  if (lut)
    return { ops: [{ op: 'grade', look: 'lut', lut: lut.path }], eat: [lut.eat, /\blut\b/, GRADE_WORDS] };
  for (const [pattern, look] of LOOKS)
    if (has(c, pattern)) return { ops: [{ op: 'grade', look }], eat: [pattern, GRADE_WORDS] };
  return has(c, /\b(?:colou?r ?grade|grading|colou?r correct(?:ion)?)\b|调色/)
    ? { ops: [{ op: 'grade', look: 'cinematic' }], eat: [GRADE_WORDS] }
    : undefined;
};

const TRANSITION = /\b(?:transitions?|cross-?fades?|dissolves?|wipes?|slides?|fades? between)\b|转场/;

export const transition: Rule = (c) => {
  if (!has(c, TRANSITION)) return undefined;
  const type = match(c, /\b(dissolve|wipe|slide|fadeblack|fade to black|fade)\b/)?.[1];
  const t = findTimeMatch(c.masked);
  const op: EditOp = { op: 'transition' };
  if (type) op.type = type === 'fade to black' ? 'fadeblack' : type;
  if (t && t.ms > 0) op.ms = t.ms;
  return {
    ops: [op],
    eat: [
      TRANSITION,
      ...(t ? [t.matched] : []),
      /\b(?:fadeblack|fade to black|fades?|between|clips|each|cuts|shots|scenes|long)\b/,
    ],
  };
};

const CONCAT = /\b(?:concat(?:enate)?|join|merge|combine|stitch|append|put together)\b|拼接|合并|连接/;

export const concat: Rule = (c) =>
  has(c, CONCAT)
    ? { ops: [{ op: 'concat' }], eat: [CONCAT, /\b(?:together|them|in order|one|into)\b/] }
    : undefined;

const ENHANCE =
  /\b(?:enhance|upscale|upscaling|upres|sharpen|improve (?:the )?(?:video |picture |image )?quality|super-?res(?:olution)?)\b|增强|画质|超分/;

export const enhance: Rule = (c) => {
  if (!has(c, ENHANCE)) return undefined;
  const scale = match(c, /(\d(?:\.\d+)?)\s*x\b/);
  return {
    ops: [scale ? { op: 'enhance', scale: Number(scale[1]) } : { op: 'enhance' }],
    eat: [ENHANCE, ...(scale ? [scale[0]] : []), /\b(?:quality|picture|image|resolution|by)\b/],
  };
};

const STABILIZE =
  /\b(?:stabili[sz]e|stabili[sz]ation|steady|steadier|deshake|reduce (?:camera )?shak(?:e|iness))\b|防抖|稳定/;

export const stabilize: Rule = (c) =>
  has(c, STABILIZE)
    ? { ops: [{ op: 'stabilize' }], eat: [STABILIZE, /\b(?:shaky|shake|camera)\b/] }
    : undefined;

const FASTER = /\b(?:speed(?: it)? up|faster|fast forward|speed|timelapse)\b|加速|快进|倍速/;
const SLOWER = /\b(?:slow(?: it)? down|slower|slow[- ]?mo(?:tion)?)\b|慢放|减速|慢动作/;

export const speed: Rule = (c) => {
  const factor = match(c, /(\d+(?:\.\d+)?)\s*(?:x|×|times|倍)/);
  const faster = has(c, FASTER);
  const slower = has(c, SLOWER);
  if (!faster && !slower) return undefined;
  let f = factor ? Number(factor[1]) : slower ? 0.5 : 1.5;
  if (slower && f > 1) f = 1 / f;
  if (!(f > 0) || f === 1) return undefined;
  return {
    ops: [{ op: 'speed', factor: Math.round(f * 1000) / 1000 }],
    eat: [FASTER, SLOWER, ...(factor ? [factor[0]] : []), /\b(?:to|by)\b/],
  };
};

/** Platform names and aspect words → presets; a platform prefix ("Instagram Reels") belongs to its preset. */
export const PRESETS: [RegExp, Extract<EditOp, { op: 'preset' }>['name']][] = [
  [
    /\b(?:(?:youtube|yt|instagram|insta|ig|facebook|fb)\s+)?(?:shorts|reels?|stories|story)\b|\b(?:tiktok|tik tok|vertical|9:16)\b|抖音|竖屏/,
    'tiktok',
  ],
  [/\b(?:(?:instagram|insta|ig)\s+)?(?:4:5|portrait)\b/, 'portrait45'],
  [/\b(?:(?:instagram|insta|ig)\s+)?(?:square|1:1)\b|\b(?:instagram|insta|ig)\b/, 'square'],
  [/\b(?:4k|uhd|2160p)\b/, '4k'],
  [/\b(?:youtube|1080p|full hd|16:9|landscape)\b/, 'youtube'],
];

const FORMAT = /\b(mp4|webm|mov|gif)\b/;
const EXPORT_WORDS =
  /\b(?:export|exported|render|save|output|finish|download|as|format|version)\b|导出|输出|保存/;

/** "export for TikTok as webm" → preset + format; a bare "export"/"导出" → the export marker. */
export const output: Rule = (c) => {
  const ops: EditOp[] = [];
  const eat: Eaten[] = [EXPORT_WORDS];
  const preset = PRESETS.find(([pattern]) => has(c, pattern));
  if (preset) {
    const op: EditOp = { op: 'preset', name: preset[1] };
    const crop = /\b(?:crop|cropped|fill)\b|裁剪/;
    if (has(c, crop)) op.fit = 'crop';
    ops.push(op);
    eat.push(preset[0], crop);
  }
  const format = match(c, FORMAT)?.[1] as Extract<EditOp, { op: 'format' }>['format'] | undefined;
  if (format) {
    ops.push({ op: 'format', format });
    eat.push(FORMAT);
  }
  if (ops.length > 0) return { ops, eat };
  return has(c, /^(?:export|render|save|output|finish|download)\b|^(?:导出|输出|保存)/)
    ? { ops: [{ op: 'export' }], eat }
    : undefined;
};
