/** The `-i` inputs of a compiled draft. Segments of one file share an input while they play it forward. */
export class InputTable {
  readonly argv: string[] = [];
  private count = 0;
  private readonly open = new Map<string, { index: number; cursorMs: number }[]>();

  /** Input index for source `[inMs, outMs)` of `file`: reuses an input already read up to `inMs`. */
  forward(file: string, inMs: number, outMs: number): number {
    const list = this.open.get(file) ?? [];
    this.open.set(file, list);
    const reusable = list.find((entry) => entry.cursorMs <= inMs + 0.5);
    if (reusable) {
      reusable.cursorMs = outMs;
      return reusable.index;
    }
    const index = this.add(['-i', file]);
    list.push({ index, cursorMs: outMs });
    return index;
  }

  /** A new input with its own options (e.g. `-loop 1`, `-stream_loop -1`). */
  add(args: string[]): number {
    this.argv.push(...args);
    return this.count++;
  }
}
