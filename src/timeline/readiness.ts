import type { Draft } from './draft.js';

/** Protocol §4.7: ready for export when `draft.t` exists with at least one track with non-empty `sg`. */
export function isExportReady(draft: unknown): boolean {
  const t = (draft as { t?: unknown } | null | undefined)?.t;
  return Array.isArray(t) && t.some((track) => Array.isArray(track?.sg) && track.sg.length > 0);
}

export function exportReadinessProblem(draft: Draft | undefined): string | undefined {
  if (!draft) return 'there is no draft yet: upload a clip and ask for an edit first';
  if (!isExportReady(draft)) return 'the draft has no segments yet: ask for an edit first';
  return undefined;
}
