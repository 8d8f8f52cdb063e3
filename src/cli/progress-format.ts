/** "1.5 MB", "320 KB", "12 B". */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** A text bar for redrawn progress: `[██████░░░░] 60%`. */
export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${Math.floor(f * 100)}%`;
}

/** The milestones (25/50/75/100 %) reached when progress moves from `before` to `now` (fractions). */
export function milestonesCrossed(before: number, now: number): number[] {
  return [25, 50, 75, 100].filter((m) => before * 100 < m && now * 100 >= m);
}
