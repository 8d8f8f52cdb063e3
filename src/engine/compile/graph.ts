/**
 * A filtergraph under construction: statements `[in]filters[out]` joined by `;`. Labels are bare names
 * or input stream specifiers (`0:v:0`); brackets are added when writing.
 */
export class GraphBuilder {
  private readonly statements: string[] = [];
  private counter = 0;

  /** A fresh label `<prefix><n>`. */
  label(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  add(inputs: string[], filters: string, outputs: string[]): void {
    const wrap = (labels: string[]): string => labels.map((l) => `[${l}]`).join('');
    this.statements.push(`${wrap(inputs)}${filters}${wrap(outputs)}`);
  }

  /** A ready-made fragment of statements (e.g. from the analysis builders). */
  raw(fragment: string): void {
    this.statements.push(fragment);
  }

  /** `[input]filters[new]`; returns the new label. */
  chain(input: string, filters: string, prefix: string): string {
    const out = this.label(prefix);
    this.add([input], filters, [out]);
    return out;
  }

  /** A source filter (no input), e.g. `anullsrc`; returns its label. */
  source(filters: string, prefix: string): string {
    const out = this.label(prefix);
    this.add([], filters, [out]);
    return out;
  }

  /** Splits `input` into `n` labels (`split`/`asplit`); with n = 1 returns `[input]`. */
  split(input: string, n: number, kind: 'v' | 'a'): string[] {
    if (n === 1) return [input];
    const outs = Array.from({ length: n }, () => this.label(`${kind}s`));
    this.add([input], `${kind === 'v' ? 'split' : 'asplit'}=${n}`, outs);
    return outs;
  }

  text(): string {
    return this.statements.join(';\n');
  }
}

/**
 * Escapes a filter option value for a filtergraph (two levels: the option parser, where `\ ' :` are
 * special, then the graph parser, where `, ; [ ]` are: the value is single-quoted).
 */
export function filterValue(value: string): string {
  const level1 = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return `'${level1.replace(/'/g, "'\\''")}'`;
}

/** 48 kHz stereo float: every audio branch is normalized to this before concat and mixing. */
export const AUDIO_FORMAT =
  'aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo';

/** Seconds with millisecond precision, for filter arguments. */
export function sec(ms: number): string {
  return String(Math.round(ms) / 1000);
}
