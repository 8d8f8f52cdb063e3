import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Draft, fmtSeconds, type Track, TrackType } from '../timeline/index.js';
import { loadCaptions } from './captions/index.js';
import { videoEndMs, videoTrack } from './draft-build.js';
import { EditInputError } from './errors.js';
import { findFfmpeg, getCapabilities } from './ffmpeg.js';
import { sourceToTimeline } from './timeline-cut.js';
import type { ApplyContext, EditOp } from './types.js';

const TITLE_MS = 3000;
const LOWER_THIRD_MS = 4000;
const FADE_MS = 500;

function trackOf(draft: Draft, tt: number, style?: string): Track {
  let track = draft.t.find((t) => t.tt === tt && (style === undefined || t.sg[0]?.m?.style === style));
  if (!track) {
    track = { tt, sg: [] };
    draft.t.push(track);
  }
  return track;
}

/** Title or lower third: a text segment (tt 7) with `text`, `style`, `at`, `fade`. */
export function applyTitle(draft: Draft, op: Extract<EditOp, { op: 'title' }>): string {
  const total = videoEndMs(draft);
  const at = Math.min(op.atMs ?? (op.style === 'lower-third' ? 1000 : 0), Math.max(0, total - 500));
  const d = Math.min(op.durationMs ?? (op.style === 'lower-third' ? LOWER_THIRD_MS : TITLE_MS), total - at);
  if (d <= 0) throw new EditInputError(`title ${JSON.stringify(op.text)}: the video is empty`);
  trackOf(draft, TrackType.text, op.style).sg.push({
    d,
    m: { text: op.text, style: op.style, at, fade: Math.min(FADE_MS, d / 4) },
  });
  const what = op.style === 'lower-third' ? 'lower third' : 'title';
  return `added ${what} ${JSON.stringify(op.text)} at ${fmtSeconds(at)}-${fmtSeconds(at + d)} s`;
}

/** The absolute path of a file the user named; an `EditInputError` when it does not exist. */
export function requireFile(file: string, what: string): string {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new EditInputError(`${what}: file not found: ${file}`);
  return abs;
}

/** Background music: an audio track (tt 1) as long as the video, looped, ducked under speech by default. */
export function applyMusic(draft: Draft, op: Extract<EditOp, { op: 'music' }>, ctx: ApplyContext): string {
  const file = op.path ?? ctx.musicPath;
  if (!file)
    throw new EditInputError(
      'background music needs a file: name one in the instruction ("add music song.mp3") or pass --music <file>',
    );
  const src = requireFile(file, 'background music');
  const volume = op.volume ?? 0.35;
  const duck = op.duck ?? true;
  trackOf(draft, TrackType.audio).sg.push({
    d: videoEndMs(draft),
    m: { name: path.basename(src), src, at: 0, volume, duck, loop: true },
  });
  return `added background music ${path.basename(src)} at ${Math.round(volume * 100)}%${duck ? ', ducked under speech' : ''}`;
}

/**
 * Captions from the first source that exists (--captions file, whisper.cpp model, pocketsphinx), mapped
 * from each clip's source time onto the edited timeline as text segments with style 'caption'.
 */
export async function applyCaptions(
  draft: Draft,
  op: Extract<EditOp, { op: 'captions' }>,
  ctx: ApplyContext,
): Promise<string> {
  const track = videoTrack(draft);
  const srcs = [...new Set((track?.sg ?? []).map((s) => s.m?.src).filter((s): s is string => Boolean(s)))];
  if (!track || srcs.length === 0) throw new EditInputError('captions: the draft has no clip to caption');
  const { ffmpeg } = await findFfmpeg();
  const { filters } = await getCapabilities(ffmpeg);
  const captionsPath = op.path ?? ctx.captionsPath;
  // A captions file describes the first clip; a transcriber runs on every clip.
  const sources = captionsPath ? srcs.slice(0, 1) : srcs;
  const captionTrack = trackOf(draft, TrackType.text, 'caption');
  let count = 0;
  let from = '';
  for (const src of sources) {
    const { cues, source } = await loadCaptions({
      captionsPath: captionsPath ? requireFile(captionsPath, 'captions') : undefined,
      asrModelPath: ctx.asrModelPath,
      mediaPath: ctx.resolveSrc ? ctx.resolveSrc(src) : src,
      ffmpegPath: ffmpeg,
      filters,
      signal: ctx.signal,
    });
    from = source;
    for (const cue of cues) {
      for (const r of sourceToTimeline(track, src, cue)) {
        captionTrack.sg.push({
          d: r.endMs - r.startMs,
          m: { text: cue.text, style: 'caption', at: r.startMs },
        });
        count++;
      }
    }
  }
  captionTrack.sg.sort((a, b) => (a.m?.at ?? 0) - (b.m?.at ?? 0));
  return `added ${count} caption${count === 1 ? '' : 's'} (from ${from === 'file' ? path.basename(captionsPath ?? '') : from})`;
}
