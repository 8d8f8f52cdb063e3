import type { RenderPath } from '../types.js';

/** The line a smart render adds to an edit's notes (a full re-encode adds none: it is the usual path). */
export function renderPathNote(p: RenderPath | undefined): string | undefined {
  if (p?.path === 'smart') {
    const share = p.frames ? Math.round(((p.copiedFrames ?? 0) / p.frames) * 100) : 0;
    return `smart render: ${share} % of the frames stream-copied, only the frames around the cuts and under titles re-encoded`;
  }
  return undefined;
}

/** The plan's line: which way the render would go, and why not smart. */
export function renderPathLine(p: { path: 'smart' | 'full'; reasons: string[]; share?: number }): string {
  if (p.path === 'smart')
    return `render: smart — ${Math.round((p.share ?? 0) * 100)} % of the frames stream-copied, the frames around each cut and under each title re-encoded`;
  return `render: full re-encode${p.reasons.length ? ` — ${p.reasons.join('; ')}` : ''}`;
}
