/**
 * Sizes in binary units, labelled as such: "1.5 MiB", "320 KiB", "12 B" (1 KiB = 1024 B). Every
 * size nemo prints to people goes through here, so the labels and the arithmetic agree.
 */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A rate: "1.2 MiB/s". */
export function fmtRate(bytesPerSecond: number): string {
  return `${fmtBytes(bytesPerSecond)}/s`;
}

/** Elapsed or remaining time: "0:07", "2:05", "1:02:05". */
export function fmtDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
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

/** A bar is "long" once it has run this long: from then on it shows elapsed time, rate and ETA. */
export const LONG_BAR_MS = 2000;

/**
 * The timing tail of a long bar: `0:12 · 1.2 MiB/s · 0:30 left`. The rate is the average since the
 * start (bytes bars only); the ETA assumes that average holds and is left out until some progress
 * has been made. Empty for a short bar, so quick operations stay uncluttered.
 */
export function timing(done: number, total: number, elapsedMs: number, bytes: boolean): string {
  if (elapsedMs < LONG_BAR_MS) return '';
  const parts = [fmtDuration(elapsedMs)];
  const perMs = done / elapsedMs;
  if (bytes) parts.push(fmtRate(perMs * 1000));
  if (done > 0 && total > done && perMs > 0) parts.push(`${fmtDuration((total - done) / perMs)} left`);
  return parts.join(' · ');
}
