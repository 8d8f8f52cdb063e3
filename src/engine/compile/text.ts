import { existsSync } from 'node:fs';
import path from 'node:path';
import { toSrt } from '../captions/index.js';
import { framesToMs, type TextClip, type TextStyle, type Timebase } from '../model/index.js';
import { filterValue, sec } from './graph.js';
import type { Canvas } from './segments.js';

export interface GraphFile {
  path: string;
  content: string;
}

/** A text clip with its times in ms. */
interface Shown {
  text: string;
  start: number;
  end: number;
  fadeMs: number;
}

const BOLD_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** DejaVuSans-Bold when installed, else whatever fontconfig calls "Sans". */
function fontOption(): string {
  return existsSync(BOLD_FONT) ? `fontfile=${filterValue(BOLD_FONT)}` : 'font=Sans';
}

/** Font size that fits the longest line in 90% of the width (DejaVu Bold ≈ 0.68 em per character). */
function fitFontSize(text: string, canvas: Canvas, fraction: number): number {
  const longest = Math.max(1, ...text.split('\n').map((l) => [...l].length));
  return Math.max(8, Math.floor(Math.min(canvas.height * fraction, (canvas.width * 0.9) / (0.68 * longest))));
}

function placement(style: TextStyle, text: string, canvas: Canvas): string[] {
  switch (style) {
    case 'lower-third':
      return [
        `fontsize=${fitFontSize(text, canvas, 1 / 16)}`,
        'box=1',
        'boxcolor=black@0.55',
        `boxborderw=${Math.round(canvas.height / 60)}`,
        'x=w*0.05',
        'y=h*0.78',
      ];
    case 'caption':
      return [
        `fontsize=${fitFontSize(text, canvas, 1 / 18)}`,
        'borderw=2',
        'bordercolor=black@0.8',
        'x=(w-text_w)/2',
        'y=h-text_h-h*0.06',
      ];
    case 'title':
      return [
        `fontsize=${fitFontSize(text, canvas, 1 / 12)}`,
        'borderw=3',
        'bordercolor=black@0.6',
        'x=(w-text_w)/2',
        'y=(h-text_h)/2',
      ];
  }
}

/**
 * One drawtext: the text goes to a file (`textfile=` + `expansion=none`: nothing to escape), shown
 * `between(t,start,end)`, faded in and out through `alpha` when the segment has a `fade`.
 */
function drawtext(p: Shown, style: TextStyle, canvas: Canvas, workDir: string, files: GraphFile[]): string {
  const text = p.text;
  const file = path.join(workDir, `text-${files.length}.txt`);
  files.push({ path: file, content: text });
  const a = sec(p.start);
  const b = sec(p.end);
  const options = [
    fontOption(),
    `textfile=${filterValue(file)}`,
    'expansion=none',
    'fontcolor=white',
    `enable=${filterValue(`between(t,${a},${b})`)}`,
  ];
  const fadeMs = style === 'caption' ? 0 : Math.min(p.fadeMs, (p.end - p.start) / 2);
  if (fadeMs >= 1) {
    const f = sec(fadeMs);
    options.push(
      `alpha=${filterValue(`if(lt(t,${a}+${f}),(t-${a})/${f},if(gt(t,${b}-${f}),(${b}-t)/${f},1))`)}`,
    );
  }
  return `drawtext=${[...options, ...placement(style, text, canvas)].join(':')}`;
}

/** Captions burned with libass from an SRT written to workDir (size follows the aspect ratio). */
function subtitlesFilter(cues: Shown[], canvas: Canvas, workDir: string, files: GraphFile[]): string {
  const file = path.join(workDir, 'captions.srt');
  files.push({
    path: file,
    content: toSrt(cues.map((c) => ({ startMs: c.start, endMs: c.end, text: c.text }))),
  });
  // libass scales styles with the frame height (288-line script): 20 suits 16:9; portrait frames are
  // narrow for their height, so the size shrinks with the aspect ratio (not below half).
  const size = Math.round(20 * Math.max(0.5, Math.min(1, canvas.width / canvas.height / (16 / 9))));
  const style = `FontName=DejaVu Sans,Bold=1,FontSize=${size},PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=1,Outline=2,Shadow=0,MarginV=24`;
  return `subtitles=filename=${filterValue(file)}:force_style=${filterValue(style)}`;
}

/**
 * Filters for the text tracks: drawtext per title / lower third; captions (style 'caption') through
 * `subtitles=` when the build has libass, else drawtext per cue.
 */
export function textFilters(
  clips: TextClip[],
  tb: Timebase,
  canvas: Canvas,
  workDir: string,
  files: GraphFile[],
  libass: boolean,
): string[] {
  const filters: string[] = [];
  const cues: Shown[] = [];
  for (const clip of clips) {
    const ms = (frames: number): number => framesToMs(frames, tb);
    const p: Shown = { text: clip.text, start: ms(clip.start), end: ms(clip.end), fadeMs: ms(clip.fade) };
    if (!p.text || p.end <= p.start) continue;
    if (clip.style === 'caption') cues.push(p);
    else filters.push(drawtext(p, clip.style, canvas, workDir, files));
  }
  cues.sort((x, y) => x.start - y.start);
  if (cues.length > 0 && libass) filters.push(subtitlesFilter(cues, canvas, workDir, files));
  else for (const cue of cues) filters.push(drawtext(cue, 'caption', canvas, workDir, files));
  return filters;
}
