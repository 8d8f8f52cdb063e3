/**
 * Word accounting: every word of a clause must be read by the rule that took it (or be one of a few
 * words that carry no meaning here: "the", "please", "it"…). What is left over is named back to the
 * user instead of being dropped.
 */

/** Words that change nothing in an edit request, whatever the operation. */
const STOP_WORDS = new Set(
  (
    "a an the please pls kindly it its it’s it's this that these those my our your me us i we you " +
    'to of for on in into onto with and or so just also then now can could would will should ' +
    "like want wanna need let lets let’s let's some bit little whole entire all every " +
    'video videos clip clips footage movie film file recording thing ' +
    'add apply make give use put do get have set turn be is are'
  ).split(/\s+/),
);

/** Chinese characters that carry no meaning here (particles, "add", "the video"). */
const CJK_STOP = /[的把掉一下个请给我帮加添上并将这该里中了吧呢视频段]/gu;

/** Text a rule read: a pattern (every match is consumed) or an exact piece of the clause (once). */
export type Eaten = RegExp | string;

/** Blanks what the rule read out of `masked` and returns what is left (spaces keep words apart). */
export function consume(masked: string, eaten: readonly Eaten[]): string {
  let rest = masked;
  // Exact pieces first (a time "6 db", a path): a word pattern must not break them up.
  const ordered = [
    ...eaten.filter((e) => typeof e === 'string'),
    ...eaten.filter((e) => typeof e !== 'string'),
  ];
  for (const e of ordered) {
    if (typeof e === 'string') {
      if (e.length > 0) rest = rest.replace(e, ' ');
      continue;
    }
    const flags = e.flags.includes('g') ? e.flags : `${e.flags}g`;
    rest = rest.replace(new RegExp(e.source, flags), ' ');
  }
  return rest;
}

/** The content words of `rest` (what `consume` left): punctuation and stop words removed. */
export function contentWords(rest: string): string[] {
  const words: string[] = [];
  for (const part of rest.split(/[\s,.;:!?()[\]{}"“”`~—–、，。；：！？]+/u)) {
    const raw = part.replace(/^[-/'‘’]+|[-/'‘’]+$/g, '');
    if (!raw) continue;
    if (/\p{Script=Han}/u.test(raw)) {
      const han = raw.replace(CJK_STOP, '');
      if (han) words.push(han);
      continue;
    }
    if (STOP_WORDS.has(raw)) continue;
    words.push(raw);
  }
  return words;
}

/** The content words a rule did not read. */
export function leftover(masked: string, eaten: readonly Eaten[]): string[] {
  return contentWords(consume(masked, eaten));
}
