/** A filtergraph label without its brackets: `[aout]` → `aout`, `0:a` → `0:a`. */
export function bareLabel(label: string): string {
  return label.trim().replace(/^\[/, '').replace(/\]$/, '');
}
