/** Word error rate of a transcript against a reference, with the edit counts behind it. */
export interface WordErrors {
  /** (substitutions + deletions + insertions) / reference words; 0 for an exact match, may exceed 1. */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

/**
 * The words of a text for scoring: lower case, apostrophes inside words kept ("don't"), every other
 * punctuation mark a separator.
 */
export function scoringWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

/**
 * Word-level Levenshtein distance between `reference` and `hypothesis` (after `scoringWords`), divided by
 * the reference's word count. An empty reference gives 0 for an empty hypothesis, else `Infinity`.
 */
export function wordErrorRate(reference: string, hypothesis: string): WordErrors {
  const ref = scoringWords(reference);
  const hyp = scoringWords(hypothesis);
  // cost[j], with the edit counts that reach it, for the prefix ref[0..i) against hyp[0..j).
  type Cell = { cost: number; s: number; d: number; n: number };
  let row: Cell[] = hyp.map((_, j) => ({ cost: j + 1, s: 0, d: 0, n: j + 1 }));
  row.unshift({ cost: 0, s: 0, d: 0, n: 0 });
  for (let i = 1; i <= ref.length; i++) {
    const next: Cell[] = [{ cost: i, s: 0, d: i, n: 0 }];
    for (let j = 1; j <= hyp.length; j++) {
      const diag = row[j - 1] as Cell;
      const up = row[j] as Cell;
      const left = next[j - 1] as Cell;
      const same = ref[i - 1] === hyp[j - 1];
      const options: Cell[] = [
        { ...diag, cost: diag.cost + (same ? 0 : 1), s: diag.s + (same ? 0 : 1) },
        { ...up, cost: up.cost + 1, d: up.d + 1 },
        { ...left, cost: left.cost + 1, n: left.n + 1 },
      ];
      next.push(options.reduce((best, c) => (c.cost < best.cost ? c : best)));
    }
    row = next;
  }
  const end = row[hyp.length] as Cell;
  const wer = ref.length > 0 ? end.cost / ref.length : hyp.length === 0 ? 0 : Number.POSITIVE_INFINITY;
  return { wer, substitutions: end.s, deletions: end.d, insertions: end.n, referenceWords: ref.length };
}
