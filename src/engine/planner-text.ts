/** Text helpers for the planner: quote-aware clause splitting and time parsing. Pure. */

/** A clause with its quoted strings masked out (`\u0001<n>\u0001`) so keywords inside quotes never match. */
export interface Clause {
  /** The clause as the user wrote it (trimmed). */
  text: string;
  /** Lower-cased, quotes replaced by QUOTE_MARK. */
  masked: string;
  /** The quoted strings, in order, without their quote marks. */
  quotes: string[];
}

export const QUOTE_MARK = '\u0001';

// One pass, leftmost quote wins (so “say "hi"” keeps its inner quotes). Single quotes only open after
// a boundary and close before one, so "it's" stays a word.
const QUOTED =
  /"([^"]*)"|“([^”]*)”|‘([^’]*)’|「([^」]*)」|『([^』]*)』|(?<=^|[\s:(=，,])'([^']*)'(?=$|[\s,.;:!?)，。、；])/g;

/**
 * Separators between clauses: , ; ，、； newlines, sentence ends, "and", "then", 然后, 并且, 接着, 最后.
 * "black and white", "teal and orange", "the first and last 2 s", "fade in and out" and
 * "between 0:05 and 0:08" are one idea, not two clauses.
 */
const SEPARATORS =
  /\s*(?:[,;，、；\n]|\.\s|\.$|。)\s*|(?<!\b(?:black|teal|first|fade\s+in|between\s+\S+))\s+(?:and\s+then|and|then|after\s+that|also)\s+(?!(?:white|orange|last|(?:fade\s+)?out)\b)|然后|并且|接着|最后/i;

const FILLER =
  /^(?:please|pls|also|and|then|finally|first|next|can you|could you|i want to|i'd like to|now)\b[\s,]*/i;

/** Splits an instruction into clauses; quoted text is never split or matched. */
export function splitClauses(instruction: string): Clause[] {
  const stash: { full: string; inner: string }[] = [];
  let text = instruction;
  text = text.replace(QUOTED, (full: string, ...groups: unknown[]) => {
    const inner = groups.slice(0, 6).find((g): g is string => typeof g === 'string') ?? '';
    stash.push({ full, inner });
    return `${QUOTE_MARK}${stash.length - 1}${QUOTE_MARK}`;
  });
  const restore = (s: string): string =>
    s.replace(new RegExp(`${QUOTE_MARK}(\\d+)${QUOTE_MARK}`, 'g'), (_a, i: string) => stash[Number(i)]!.full);
  const clauses: Clause[] = [];
  for (const raw of text.split(SEPARATORS)) {
    let part = (raw ?? '').trim();
    while (FILLER.test(part)) part = part.replace(FILLER, '').trim();
    if (!part) continue;
    const quotes: string[] = [];
    const masked = part
      .replace(new RegExp(`${QUOTE_MARK}(\\d+)${QUOTE_MARK}`, 'g'), (_a, i: string) => {
        quotes.push(stash[Number(i)]!.inner);
        return QUOTE_MARK;
      })
      .toLowerCase();
    clauses.push({ text: restore(raw ?? '').trim(), masked, quotes });
  }
  return clauses;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

/** A time: `0:10`, `1:02.5`, `1:00:05`, `10s`, `10 seconds`, `1.5 min`, `500ms`, or a bare number (seconds). */
export const TIME = String.raw`(\d+(?::\d{1,2}){1,2}(?:\.\d+)?|\d+(?:\.\d+)?(?:\s*(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|h|秒|分钟)(?![a-z]))?)`;

export function parseTime(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t.includes(':')) {
    const parts = t.split(':').map(Number);
    if (parts.some((p) => !Number.isFinite(p))) return undefined;
    return Math.round(parts.reduce((acc, p) => acc * 60 + p, 0) * 1000);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-z秒分钟]*)$/.exec(t);
  if (!m) return undefined;
  const raw = m[2] === '秒' ? 's' : m[2] === '分钟' ? 'min' : m[2] || 's';
  const factor = UNIT_MS[raw] ?? UNIT_MS[raw.replace(/s$/, '')];
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}

/** The first time in `text` (after `after`, when given), in ms. */
export function findTime(text: string, after = ''): number | undefined {
  return findTimeMatch(text, after)?.ms;
}

/** The first time in `text` (after `after`), with the text it was read from (for word accounting). */
export function findTimeMatch(text: string, after = ''): { ms: number; matched: string } | undefined {
  const m = new RegExp(`${after}\\s*${TIME}`).exec(text);
  const ms = m ? parseTime(m[1]!) : undefined;
  return m && ms !== undefined ? { ms, matched: m[0] } : undefined;
}

/** The first word-ish token ending in one of `extensions` (quoted strings first). */
export function findPath(clause: Clause, extensions: string[]): string | undefined {
  const ext = new RegExp(`\\.(?:${extensions.join('|')})$`, 'i');
  const quoted = clause.quotes.find((q) => ext.test(q.trim()));
  if (quoted) return quoted.trim();
  return clause.text
    .split(/\s+/)
    .find((token) => ext.test(token.replace(/[),.;]+$/, '')))
    ?.replace(/[),.;]+$/, '');
}
