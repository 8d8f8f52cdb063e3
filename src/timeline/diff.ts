import { type Draft, draftDuration, trackDuration } from './draft.js';
import { fmtSeconds, trackLabel } from './summary.js';

export interface DraftChange {
  kind: 'track-added' | 'track-removed' | 'segments-changed' | 'duration-changed' | 'meta-changed';
  track?: number;
  label?: string;
  before?: number;
  after?: number;
  text: string;
}

function stable(v: unknown): string {
  return JSON.stringify(v ?? null);
}

/**
 * What changed between two drafts, in words a person reads after a "silent edit" (protocol §12.7):
 * tracks added or removed, segment counts and durations per track, the total duration, and metadata.
 */
export function diffDrafts(before: Draft | undefined, after: Draft | undefined): DraftChange[] {
  const a = before?.t ?? [];
  const b = after?.t ?? [];
  const changes: DraftChange[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (!x && y) {
      changes.push({
        kind: 'track-added',
        track: i + 1,
        label: trackLabel(y),
        text: `added track ${i + 1} (${trackLabel(y)}, ${y.sg.length} segment${y.sg.length === 1 ? '' : 's'}, ${fmtSeconds(trackDuration(y))}s)`,
      });
    } else if (x && !y) {
      changes.push({
        kind: 'track-removed',
        track: i + 1,
        label: trackLabel(x),
        text: `removed track ${i + 1} (${trackLabel(x)})`,
      });
    } else if (x && y) {
      const dx = trackDuration(x);
      const dy = trackDuration(y);
      if (x.sg.length !== y.sg.length || dx !== dy) {
        changes.push({
          kind: 'segments-changed',
          track: i + 1,
          label: trackLabel(y),
          before: x.sg.length,
          after: y.sg.length,
          text: `track ${i + 1} (${trackLabel(y)}): ${x.sg.length} → ${y.sg.length} segments, ${fmtSeconds(dx)}s → ${fmtSeconds(dy)}s`,
        });
      } else if (stable(x) !== stable(y)) {
        changes.push({
          kind: 'segments-changed',
          track: i + 1,
          label: trackLabel(y),
          text: `track ${i + 1} (${trackLabel(y)}): segments edited`,
        });
      }
    }
  }
  const da = before ? draftDuration(before) : 0;
  const db = after ? draftDuration(after) : 0;
  if (da !== db) {
    changes.push({
      kind: 'duration-changed',
      before: da,
      after: db,
      text: `duration ${fmtSeconds(da)}s → ${fmtSeconds(db)}s`,
    });
  }
  if (stable(before?.m) !== stable(after?.m)) {
    const keys = new Set([...Object.keys(before?.m ?? {}), ...Object.keys(after?.m ?? {})]);
    const changed = [...keys].filter((k) => stable(before?.m?.[k]) !== stable(after?.m?.[k]));
    changes.push({ kind: 'meta-changed', text: `settings changed: ${changed.join(', ')}` });
  }
  return changes;
}

/** "No visible change" when the drafts are equal, else the changes joined by "; ". */
export function describeDiff(changes: DraftChange[]): string {
  return changes.length === 0 ? 'no visible change to the timeline' : changes.map((c) => c.text).join('; ');
}
