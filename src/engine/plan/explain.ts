/** Words for people about a plan: the grouped "what nemo can do" list and each op in plain words. Pure. */
import { fmtSeconds } from '../../timeline/index.js';
import type { Plan } from '../planner.js';
import { SUPPORTED_GROUPS } from '../planner.js';
import type { EditOp } from '../types.js';

/** Wraps `items` joined by "; " to `width` columns, every line after the first indented by `indent`. */
function wrap(items: readonly string[], width: number, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [k, item] of items.entries()) {
    const piece = k < items.length - 1 ? `${item};` : item;
    if (line && line.length + 1 + piece.length > width - indent) {
      lines.push(line);
      line = piece;
    } else line = line ? `${line} ${piece}` : piece;
  }
  if (line) lines.push(line);
  return lines;
}

/** What the planner understands, grouped (cuts / picture / sound / text / clips / export), wrapped. */
export function formatSupported(width = 100): string {
  const label = Math.max(...SUPPORTED_GROUPS.map((g) => g.group.length)) + 2;
  const out: string[] = [];
  for (const g of SUPPORTED_GROUPS) {
    const lines = wrap(g.items, width, label + 2);
    out.push(`  ${`${g.group}:`.padEnd(label)}${lines[0] ?? ''}`);
    for (const l of lines.slice(1)) out.push(`  ${' '.repeat(label)}${l}`);
  }
  return out.join('\n');
}

const s = (ms: number): string => `${fmtSeconds(ms)} s`;
const span = (r: { fromMs: number; toMs: number }): string =>
  `${fmtSeconds(r.fromMs)}-${fmtSeconds(r.toMs)} s`;

/** One op in plain words ("cut the first 2 s", "fade in 1 s (picture and sound)"). */
export function describeOp(op: EditOp): string {
  switch (op.op) {
    case 'trimSilence':
      return `trim silences (below ${op.thresholdDb ?? -28} dBFS, ${op.marginMs ?? 200} ms margin)`;
    case 'speedSilence':
      return `speed up silences ${op.factor}× (below ${op.thresholdDb ?? -28} dBFS, ${op.marginMs ?? 200} ms margin)`;
    case 'cutStart':
      return `cut the first ${s(op.ms)}`;
    case 'cutEnd':
      return `cut the last ${s(op.ms)}`;
    case 'trimIntro':
      return op.ms === undefined ? 'trim the silent intro' : `cut the first ${s(op.ms)} (intro)`;
    case 'keepRange':
      return `keep ${span(op)}`;
    case 'cutRange':
      return `cut ${span(op)}`;
    case 'ranges': {
      const parts = [
        ...(op.keep.length ? [`keep ${op.keep.map(span).join(', ')}`] : []),
        ...(op.firstMs ? [`cut the first ${s(op.firstMs)}`] : []),
        ...op.cut.map((r) => `cut ${span(r)}`),
        ...(op.lastMs ? [`cut the last ${s(op.lastMs)}`] : []),
      ];
      return `${parts.join(', ')} (all times of the input)`;
    }
    case 'trimTo':
      return `keep the first ${s(op.ms)}`;
    case 'fit':
      return `fit ${op.platform ? `${op.platform} (${s(op.maxMs)})` : s(op.maxMs)}: cut the end when longer`;
    case 'speed':
      return `speed ×${op.factor}`;
    case 'mute':
      return 'mute the original audio';
    case 'volume': {
      const what =
        op.gain === 0
          ? 'mute'
          : `volume ×${op.gain} (${op.gain > 1 ? '+' : ''}${(20 * Math.log10(op.gain)).toFixed(1)} dB)`;
      if (op.lastMs !== undefined) return `${what}, the last ${s(op.lastMs)}`;
      if (op.fromMs !== undefined)
        return `${what}, ${span({ fromMs: op.fromMs, toMs: op.toMs ?? 0 })} of the result`;
      return what;
    }
    case 'music':
      return `background music ${op.path ?? '(--music)'}${op.volume !== undefined ? ` at ${Math.round(op.volume * 100)}%` : ''}${op.duck === false ? '' : ', ducked under speech'}`;
    case 'loudnorm':
      return `normalize loudness to ${op.lufs} LUFS`;
    case 'denoise':
      return 'denoise the audio';
    case 'grade':
      return op.look === 'lut' ? `colour grade with ${op.lut}` : `colour grade: ${op.look}`;
    case 'fade': {
      const ends = [op.inMs ? `in ${s(op.inMs)}` : '', op.outMs ? `out ${s(op.outMs)}` : '']
        .filter(Boolean)
        .join(', ');
      const what = op.picture && op.sound ? 'picture and sound' : op.picture ? 'picture' : 'sound';
      return `fade ${ends} (${what})`;
    }
    case 'rotate':
      return `rotate ${op.degrees}° clockwise`;
    case 'flip':
      return `flip ${op.axis}ly`;
    case 'crop':
      return `centre crop to ${op.aspect.join(':')}`;
    case 'logo':
      return `logo ${op.path}, ${op.position}`;
    case 'title':
      return `${op.style === 'lower-third' ? 'lower third' : 'title'} ${JSON.stringify(op.text)}${op.atMs !== undefined ? ` at ${s(op.atMs)}` : ''}${op.durationMs !== undefined ? ` for ${s(op.durationMs)}` : ''}`;
    case 'captions':
      return `captions${op.path ? ` from ${op.path}` : ''}`;
    case 'transition':
      return `${op.type ?? 'fade'} transitions${op.ms ? ` of ${s(op.ms)}` : ''}`;
    case 'concat':
      return 'join the clips';
    case 'preset':
      return `preset ${op.name}${op.fit === 'crop' ? ' (crop)' : ''}`;
    case 'enhance':
      return `enhance${op.scale ? ` ×${op.scale}` : ''}`;
    case 'stabilize':
      return 'stabilize';
    case 'format':
      return `output ${op.format}`;
    case 'export':
      return 'export';
  }
}

/** The plan, clause by clause, as text lines ("1. "cut the first 2 s" → cut the first 2 s"). */
export function formatPlanClauses(plan: Plan): string[] {
  const lines: string[] = [];
  for (const [k, c] of plan.clauses.entries()) {
    const refusal = plan.refused.find((r) => r.text === c.text && c.ops.length === 0);
    const as = c.readAs ? ` (read as "${c.readAs}")` : '';
    const what = refusal ? `REFUSED: ${refusal.reason}` : c.ops.map(describeOp).join(' + ');
    lines.push(`${k + 1}. "${c.text}"${as} → ${what}`);
  }
  if (plan.mergedCuts) {
    const merged = plan.ops.find((o) => o.op === 'ranges');
    if (merged) lines.push(`   the cuts together: ${describeOp(merged)}`);
  }
  return lines;
}

/** The refused clauses, one line each, for the exit-2 error. */
export function formatRefusals(plan: Plan): string {
  return plan.refused.map((r) => `"${r.text}": ${r.reason}`).join('\n');
}
