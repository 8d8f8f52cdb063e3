import { type Draft, summarize } from '../../timeline/index.js';
import type { Output } from '../output.js';
import { drawTimeline, type Paint } from '../timeline-draw.js';

/** The summary line and the drawn timeline, on stdout (colours only when stderr may have them). */
export function printDraft(out: Output, draft: Draft | undefined): void {
  const c = out.c;
  const paint: Paint = (type, s) =>
    type === 'video'
      ? c.blue(s)
      : type === 'audio'
        ? c.green(s)
        : type === 'text'
          ? c.magenta(s)
          : c.yellow(s);
  out.data(summarize(draft));
  const width = Math.min(80, Math.max(20, (out.stdoutColumns ?? 80) - 16));
  for (const line of drawTimeline(draft, {
    width,
    paint: out.facts.colorLevel > 0 && out.stdoutColumns !== undefined ? paint : undefined,
  })) {
    out.data(line);
  }
}
