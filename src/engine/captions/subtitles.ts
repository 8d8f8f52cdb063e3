/** One caption: shown from `startMs` to `endMs`; `text` may hold line breaks. */
export interface Cue {
  startMs: number;
  endMs: number;
  text: string;
}

const TIMESTAMP = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})`;
const TIMING = new RegExp(String.raw`^\s*${TIMESTAMP}\s*-->\s*${TIMESTAMP}`);

/**
 * Parses SubRip text. Tolerant: BOM, CRLF/CR, missing or wrong index lines, `,` or `.` before the
 * milliseconds, optional hours, cue settings after the timing, multi-line text, blocks without a timing
 * (skipped). Cues with no text or no duration are dropped; the rest keep the file's order.
 */
export function parseSrt(text: string): Cue[] {
  return parseBlocks(text, (t) => t);
}

/**
 * Parses WebVTT text with the same tolerance as `parseSrt`; also skips the `WEBVTT` header and NOTE, STYLE
 * and REGION blocks, drops cue identifiers, voice/class/timestamp tags (keeping `<b>`, `<i>`, `<u>`) and
 * decodes the HTML entities WebVTT allows.
 */
export function parseVtt(text: string): Cue[] {
  return parseBlocks(text, cleanVttText);
}

/** SubRip text for `cues` (1-based indexes, `HH:MM:SS,mmm`, blank lines inside a cue's text collapsed). */
export function toSrt(cues: Cue[]): string {
  return cues
    .map((c, k) => {
      const text = c.text
        .replace(/\r\n?/g, '\n')
        .replace(/\n\s*\n/g, '\n')
        .trim();
      return `${k + 1}\n${srtTime(c.startMs)} --> ${srtTime(c.endMs)}\n${text}\n`;
    })
    .join('\n');
}

function parseBlocks(text: string, clean: (t: string) => string): Cue[] {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const cues: Cue[] = [];
  for (const block of normalized.split(/\n[ \t]*\n/)) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => TIMING.test(l));
    const m = at >= 0 ? TIMING.exec(lines[at] ?? '') : null;
    if (!m) continue;
    const startMs = toMs(m.slice(1, 5));
    const endMs = toMs(m.slice(5, 9));
    const body = clean(
      lines
        .slice(at + 1)
        .map((l) => l.trim())
        .join('\n'),
    ).trim();
    if (body && endMs > startMs) cues.push({ startMs, endMs, text: body });
  }
  return cues;
}

function toMs([h, m, s, frac]: (string | undefined)[]): number {
  const ms = Number((frac ?? '0').padEnd(3, '0'));
  return ((Number(h ?? 0) * 60 + Number(m)) * 60 + Number(s)) * 1000 + ms;
}

function cleanVttText(text: string): string {
  return text
    .replace(/<([biu])[.\s][^>]*>/g, '<$1>')
    .replace(/<(?!\/?[biu]>)[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&lrm;|&rlm;/g, '')
    .replace(/&amp;/g, '&');
}

function srtTime(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(total % 1000, 3)}`;
}
