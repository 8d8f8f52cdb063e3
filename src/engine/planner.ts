import {
  type Clause,
  findPath,
  findTime,
  parseTime,
  QUOTE_MARK,
  splitClauses,
  TIME,
} from './planner-text.js';
import type { EditOp, PlanResult } from './types.js';

/** What the planner understands, as examples for the "unknown clause" error (CLI exit 2). */
export const SUPPORTED_OPERATIONS: readonly string[] = [
  'trim silences (also "aggressive"/"gentle"; 剪掉静音)',
  'cut the first 5 seconds / cut the last 3s',
  'trim the intro (leading silence) / trim the first 4 seconds of intro',
  'keep 0:10-0:25 / cut 0:05-0:08',
  'trim to 30s',
  'speed up 1.5x / 2x speed / slow down to 0.5x',
  'mute / remove the audio (静音)',
  'add background music music.mp3 (or --music; ducked under speech; 加背景音乐)',
  'normalize audio (-14 LUFS; "for podcast" -16 LUFS; 标准化音量)',
  'denoise the audio (降噪)',
  'color grade warm / cool / cinematic / vintage / black and white / vivid / look.cube',
  "add title 'Hello' / lower third 'Jane Doe' (加标题)",
  'add captions (--captions subs.srt, --asr-model, or pocketsphinx; 加字幕)',
  'add crossfade transitions (fade, dissolve, wipe, slide)',
  'join the clips',
  'export for TikTok / Reels / Shorts (1080x1920, "crop" to crop), YouTube, Instagram square or 4:5, 4K',
  'enhance / upscale 2x',
  'stabilize',
  'export as mp4 / webm / mov / gif (导出)',
];

type Rule = (c: Clause) => EditOp[] | undefined;

const has = (c: Clause, pattern: RegExp): boolean => pattern.test(c.masked);

const trimSilence: Rule = (c) => {
  const silenceWords = /\b(silen(ce|ces|t)|pauses?|dead air|gaps?|quiet parts?)\b|jump ?cuts?|静音|停顿|空白/;
  const verbs = /\b(trim|cut|remove|delete|drop|skip|strip|jump ?cut|get rid of|shorten)\b|剪|去|删|减/;
  if (!has(c, silenceWords) || !has(c, verbs) || has(c, /\b(audio|sound)\b/) || has(c, /\bintro\b/))
    return undefined;
  if (has(c, /\b(aggressive(ly)?|tight(ly)?|hard)\b|激进/))
    return [{ op: 'trimSilence', thresholdDb: -25, marginMs: 100 }];
  if (has(c, /\b(gentle|gently|light(ly)?|soft(ly)?|conservative(ly)?)\b|轻/))
    return [{ op: 'trimSilence', thresholdDb: -35, marginMs: 300, minCutMs: 800 }];
  return [{ op: 'trimSilence' }];
};

const trimIntro: Rule = (c) => {
  if (!has(c, /\bintro\b|片头|开头/) || !has(c, /\b(trim|cut|remove|skip|drop|delete)\b|剪|去|删/))
    return undefined;
  const ms = findTime(c.masked);
  return [ms === undefined ? { op: 'trimIntro' } : { op: 'trimIntro', ms }];
};

/** "keep 0:10-0:25" keeps a range; "cut 0:05-0:10" / "remove from 5s to 8s" removes one. */
const range: Rule = (c) => {
  const m = new RegExp(`${TIME}\\s*(?:-|–|—|to|until|till|through|到|至)\\s*${TIME}`).exec(c.masked);
  if (!m) return undefined;
  const fromMs = parseTime(m[1]!);
  const toMs = parseTime(m[2]!);
  if (fromMs === undefined || toMs === undefined || toMs <= fromMs) return undefined;
  if (has(c, /\b(keep|only|use|extract|clip)\b|保留|只要/)) return [{ op: 'keepRange', fromMs, toMs }];
  if (has(c, /\b(cut|remove|delete|drop|skip|chop)\b|剪掉|删除|去掉/))
    return [{ op: 'cutRange', fromMs, toMs }];
  return has(c, /\b(from|between)\b/) ? [{ op: 'keepRange', fromMs, toMs }] : undefined;
};

const cutEdge: Rule = (c) => {
  if (!has(c, /\b(cut|trim|remove|drop|skip|delete|chop)\b|剪|去|删/)) return undefined;
  const ms = findTime(c.masked);
  if (ms === undefined) return undefined;
  if (has(c, /\b(last|end|ending|final|tail|outro)\b|最后|结尾|末尾/)) return [{ op: 'cutEnd', ms }];
  if (has(c, /\b(first|beginning|start|opening|head)\b|前|开头/)) return [{ op: 'cutStart', ms }];
  return undefined;
};

const trimTo: Rule = (c) => {
  const to = /\b(?:trim|cut|shorten|limit|make it|keep)\b.*?\b(?:to|at|down to|only)\s+(?:the\s+first\s+)?/;
  const first = /\bkeep (?:only )?the first\s+/;
  const ms = findTime(c.masked, to.source) ?? findTime(c.masked, first.source);
  if (ms === undefined) {
    const long = new RegExp(`\\bmake it\\s+${TIME}\\s+long\\b`).exec(c.masked);
    return long ? [{ op: 'trimTo', ms: parseTime(long[1]!)! }] : undefined;
  }
  return [{ op: 'trimTo', ms }];
};

const title: Rule = (c) => {
  const lower = has(c, /\blower[- ]?thirds?\b|\bname (tag|card|strap)\b|字幕条/);
  if (!lower && !has(c, /\b(title|heading|headline|title card)\b|标题/)) return undefined;
  let text: string | undefined = c.quotes[0];
  if (text === undefined) {
    const m =
      /\b(?:title|heading|headline|lower[- ]?third)\b\s*(?:text\s*)?(?:saying|that says|reading|with|of|:)?\s*(.+)$/i.exec(
        c.text,
      );
    text = m?.[1]?.trim();
  }
  if (!text || text.includes(QUOTE_MARK)) return undefined;
  const atMs = findTime(c.masked, String.raw`\bat`);
  const durationMs = findTime(c.masked, String.raw`\bfor`);
  const op: EditOp = { op: 'title', text, style: lower ? 'lower-third' : 'title' };
  if (atMs !== undefined) op.atMs = atMs;
  if (durationMs !== undefined) op.durationMs = durationMs;
  return [op];
};

const captions: Rule = (c) => {
  if (!has(c, /\b(captions?|captioning|subtitles?|subs|transcri(be|pt|ption)|closed captions?|srt)\b|字幕/))
    return undefined;
  const path = findPath(c, ['srt', 'vtt']);
  return [path ? { op: 'captions', path } : { op: 'captions' }];
};

const music: Rule = (c) => {
  if (!has(c, /\b(music|bgm|soundtrack|song|backing track)\b|音乐|配乐/)) return undefined;
  const path = findPath(c, ['mp3', 'wav', 'm4a', 'aac', 'flac', 'ogg', 'opus', 'wma', 'aiff?']);
  const pct = /(\d{1,3})\s*%/.exec(c.masked);
  const op: EditOp = { op: 'music', duck: !has(c, /\b(no|without|don't) duck/) };
  if (path) op.path = path;
  if (pct) op.volume = Number(pct[1]) / 100;
  return [op];
};

const mute: Rule = (c) =>
  has(
    c,
    /\b(mute|muted|unmute)\b|\b(remove|strip|drop|delete|kill|no|without)\b.*\b(audio|sound)\b|静音|去掉声音|去除声音/,
  )
    ? [{ op: 'mute' }]
    : undefined;

const loudnorm: Rule = (c) => {
  if (
    !has(
      c,
      /\b(normali[sz]e|normali[sz]ation|loudness|lufs|level the audio|even out the (audio|volume))\b|标准化|响度|音量均衡/,
    )
  )
    return undefined;
  const lufs = /(-\d+(?:\.\d+)?)\s*lufs/.exec(c.masked);
  const podcast = has(c, /\b(podcast|spoken word|audiobook)\b|播客/);
  return [{ op: 'loudnorm', lufs: lufs ? Number(lufs[1]) : podcast ? -16 : -14 }];
};

const denoise: Rule = (c) =>
  has(
    c,
    /\b(de-?noise|noise reduction|reduce (the )?(background )?noise|remove (the )?(background )?(noise|hiss|hum)|clean up the audio)\b|降噪|去噪/,
  )
    ? [{ op: 'denoise' }]
    : undefined;

const LOOKS: [RegExp, Extract<EditOp, { op: 'grade' }>['look']][] = [
  [/\b(black[- ]and[- ]white|b&w|b\/w|monochrome|grayscale|greyscale|mono)\b|黑白/, 'bw'],
  [/\b(cinematic|teal[- ](and[- ])?orange|teal|orange|film look|filmic|movie look)\b|电影/, 'cinematic'],
  [/\b(vintage|retro|old film|faded)\b|复古/, 'vintage'],
  [/\b(warm|warmer|golden)\b|暖/, 'warm'],
  [/\b(cool|cooler|cold|colder|blue)\b|冷/, 'cool'],
  [/\b(vivid|vibrant|saturated|punchy|pop)\b|鲜艳/, 'vivid'],
];

const grade: Rule = (c) => {
  const lut = findPath(c, ['cube']);
  if (lut) return [{ op: 'grade', look: 'lut', lut }];
  for (const [pattern, look] of LOOKS) if (has(c, pattern)) return [{ op: 'grade', look }];
  return has(c, /\b(colou?r ?grade|grading|colou?r correct(ion)?)\b|调色/)
    ? [{ op: 'grade', look: 'cinematic' }]
    : undefined;
};

const transition: Rule = (c) => {
  if (!has(c, /\b(transitions?|cross-?fades?|dissolves?|wipes?|slides?|fades? between)\b|转场/))
    return undefined;
  const type = /\b(dissolve|wipe|slide|fadeblack|fade to black|fade)\b/.exec(c.masked)?.[1];
  const ms = findTime(c.masked);
  const op: EditOp = { op: 'transition' };
  if (type) op.type = type === 'fade to black' ? 'fadeblack' : type;
  if (ms !== undefined && ms > 0) op.ms = ms;
  return [op];
};

const concat: Rule = (c) =>
  has(c, /\b(concat(enate)?|join|merge|combine|stitch|append|put together)\b|拼接|合并|连接/)
    ? [{ op: 'concat' }]
    : undefined;

const enhance: Rule = (c) => {
  if (
    !has(
      c,
      /\b(enhance|upscale|upscaling|upres|sharpen|improve (the )?(video |picture |image )?quality|super-?res(olution)?)\b|增强|画质|超分/,
    )
  )
    return undefined;
  const scale = /(\d(?:\.\d+)?)\s*x\b/.exec(c.masked);
  return [scale ? { op: 'enhance', scale: Number(scale[1]) } : { op: 'enhance' }];
};

const stabilize: Rule = (c) =>
  has(
    c,
    /\b(stabili[sz]e|stabili[sz]ation|steady|steadier|deshake|reduce (camera )?shak(e|iness))\b|防抖|稳定/,
  )
    ? [{ op: 'stabilize' }]
    : undefined;

const speed: Rule = (c) => {
  const factor = /(\d+(?:\.\d+)?)\s*(?:x|×|times|倍)/.exec(c.masked);
  const faster = has(c, /\b(speed( it)? up|faster|fast forward|speed|timelapse)\b|加速|快进|倍速/);
  const slower = has(c, /\b(slow( it)? down|slower|slow[- ]?mo(tion)?)\b|慢放|减速|慢动作/);
  if (!faster && !slower) return undefined;
  let f = factor ? Number(factor[1]) : slower ? 0.5 : 1.5;
  if (slower && f > 1) f = 1 / f;
  if (!(f > 0) || f === 1) return undefined;
  return [{ op: 'speed', factor: Math.round(f * 1000) / 1000 }];
};

const PRESETS: [RegExp, Extract<EditOp, { op: 'preset' }>['name']][] = [
  [/\b(tiktok|tik tok|reels?|shorts|stories|story|vertical|9:16)\b|抖音|竖屏/, 'tiktok'],
  [/\b(4:5|portrait)\b/, 'portrait45'],
  [/\b(instagram|insta|ig|square|1:1)\b/, 'square'],
  [/\b(4k|uhd|2160p)\b/, '4k'],
  [/\b(youtube|1080p|full hd|16:9|landscape)\b/, 'youtube'],
];

const FORMAT = /\b(mp4|webm|mov|gif)\b/;

/** "export for TikTok as webm" → preset + format; a bare "export"/"导出" → the export marker. */
const output: Rule = (c) => {
  const ops: EditOp[] = [];
  const preset = PRESETS.find(([pattern]) => has(c, pattern));
  if (preset) {
    const op: EditOp = { op: 'preset', name: preset[1] };
    if (has(c, /\b(crop|cropped|fill)\b|裁剪/)) op.fit = 'crop';
    ops.push(op);
  }
  const format = FORMAT.exec(c.masked)?.[1] as Extract<EditOp, { op: 'format' }>['format'] | undefined;
  if (format) ops.push({ op: 'format', format });
  if (ops.length > 0) return ops;
  return has(
    c,
    /^(export|render|save|output|finish|download)\b(\s+(it|the video|the result|the edit))?$|^(导出|输出|保存)/,
  )
    ? [{ op: 'export' }]
    : undefined;
};

/** Order matters: more specific rules first (silence before mute: 静音 is both). */
const RULES: Rule[] = [
  title,
  captions,
  trimSilence,
  trimIntro,
  range,
  cutEdge,
  trimTo,
  music,
  mute,
  loudnorm,
  denoise,
  transition,
  grade,
  concat,
  enhance,
  stabilize,
  speed,
  output,
];

/** Instruction text → edit operations, clause by clause. Pure and deterministic. */
export function planInstruction(text: string): PlanResult {
  const clauses: PlanResult['clauses'] = [];
  const unknown: string[] = [];
  for (const clause of splitClauses(text)) {
    let ops: EditOp[] | undefined;
    for (const rule of RULES) {
      ops = rule(clause);
      if (ops) break;
    }
    if (!ops) unknown.push(clause.text);
    clauses.push({ text: clause.text, ops: ops ?? [] });
  }
  return { ops: clauses.flatMap((c) => c.ops), unknown, clauses };
}
