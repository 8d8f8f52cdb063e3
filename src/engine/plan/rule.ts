/** The shape of a planner rule and the small helpers the rules share. Pure. */
import type { Clause } from '../planner-text.js';
import type { EditOp } from '../types.js';
import type { Eaten } from './accounting.js';

/** A rule took the clause: the ops, and exactly what it read (for word accounting). */
export interface Taken {
  ops: EditOp[];
  eat: Eaten[];
}

/** A rule recognised the request and says why it cannot be done (exit 2). */
export interface Refused {
  refuse: string;
}

export type Outcome = Taken | Refused;
export type Rule = (c: Clause) => Outcome | undefined;

export const isRefused = (o: Outcome): o is Refused => 'refuse' in o;

export const has = (c: Clause, pattern: RegExp): boolean => pattern.test(c.masked);

/** The first match of `pattern` in the clause's masked text. */
export const match = (c: Clause, pattern: RegExp): RegExpExecArray | null => pattern.exec(c.masked);

/**
 * The first file name in the clause ending in one of `extensions` (quoted first), and what to eat for it.
 * Only words still in `masked` count (a second rule never re-reads a path the first one took).
 */
export function pathIn(c: Clause, extensions: string[]): { path: string; eat: Eaten } | undefined {
  const ext = new RegExp(`\\.(?:${extensions.join('|')})$`, 'i');
  const quoted = c.quotes.find((q) => ext.test(q.trim()));
  if (quoted && c.masked.includes('\u0001')) return { path: quoted.trim(), eat: '\u0001' };
  for (const token of c.text.split(/\s+/)) {
    const path = token.replace(/[),.;]+$/, '');
    if (ext.test(path) && c.masked.includes(path.toLowerCase())) return { path, eat: path.toLowerCase() };
  }
  return undefined;
}
