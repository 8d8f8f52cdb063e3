/** Defensive field access for shapes that drift between server versions (protocol §12.11, §12.17). */

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The first non-empty string (or number, as a string) among `keys` of `obj`. */
export function pickString(obj: unknown, ...keys: string[]): string | undefined {
  const o = asObject(obj);
  if (!o) return undefined;
  for (const key of keys) {
    const v = o[key];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

/** The first finite number (numeric strings accepted) among `keys` of `obj`. */
export function pickNumber(obj: unknown, ...keys: string[]): number | undefined {
  const o = asObject(obj);
  if (!o) return undefined;
  for (const key of keys) {
    const v = o[key];
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
  }
  return undefined;
}
