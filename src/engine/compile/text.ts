import { existsSync } from 'node:fs';
import path from 'node:path';
import { placeSegments, type Track } from '../../timeline/index.js';
import { toSrt } from '../captions/index.js';
import { filterValue, sec } from './graph.js';
import type { Canvas } from './segments.js';

export interface GraphFile {
  path: string;
  content: string;
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

/**
 * drawtext for each title / lower-third segment: the text goes to a file (`textfile=` +
 * `expansion=none`: nothing to escape), shown `between(t,start,end)`, faded in and out through `alpha`.
 */
export function titleFilters(tracks: Track[], canvas: Canvas, workDir: string, files: GraphFile[]): string[] {
  const filters: string[] = [];
  for (const track of tracks) {
    for (const { segment, start, end } of placeSegments(track)) {
      const text = segment.m?.text;
      const style = segment.m?.style;
      if (!text || style === 'caption') continue;
      const file = path.join(workDir, `text-${files.length}.txt`);
      files.push({ path: file, content: text });
      const a = sec(start);
      const b = sec(end);
      const f = sec(Math.max(1, Math.min(segment.m?.fade ?? 500, (end - start) / 2)));
      const alpha = `if(lt(t,${a}+${f}),(t-${a})/${f},if(gt(t,${b}-${f}),(${b}-t)/${f},1))`;
      const common = [
        fontOption(),
        `textfile=${filterValue(file)}`,
        'expansion=none',
        'fontcolor=white',
        `enable=${filterValue(`between(t,${a},${b})`)}`,
        `alpha=${filterValue(alpha)}`,
      ];
      const placement =
        style === 'lower-third'
          ? [
              `fontsize=${fitFontSize(text, canvas, 1 / 16)}`,
              'box=1',
              'boxcolor=black@0.55',
              `boxborderw=${Math.round(canvas.height / 60)}`,
              'x=w*0.05',
              'y=h*0.78',
            ]
          : [
              `fontsize=${fitFontSize(text, canvas, 1 / 12)}`,
              'borderw=3',
              'bordercolor=black@0.6',
              'x=(w-text_w)/2',
              'y=(h-text_h)/2',
            ];
      filters.push(`drawtext=${[...common, ...placement].join(':')}`);
    }
  }
  return filters;
}

/** Captions (text segments with style 'caption') → an SRT in workDir burned in with `subtitles=`. */
export function captionFilter(
  tracks: Track[],
  canvas: Canvas,
  workDir: string,
  files: GraphFile[],
): string | undefined {
  const cues = tracks.flatMap((track) =>
    placeSegments(track).filter(({ segment }) => segment.m?.style === 'caption' && segment.m?.text),
  );
  if (cues.length === 0) return undefined;
  cues.sort((x, y) => x.start - y.start);
  const srt = toSrt(cues.map((c) => ({ startMs: c.start, endMs: c.end, text: c.segment.m?.text ?? '' })));
  const file = path.join(workDir, 'captions.srt');
  files.push({ path: file, content: srt });
  // libass scales styles with the frame height (288-line script): 20 suits 16:9; portrait frames are
  // narrow for their height, so the size shrinks with the aspect ratio (not below half).
  const size = Math.round(20 * Math.max(0.5, Math.min(1, canvas.width / canvas.height / (16 / 9))));
  const style = `FontName=DejaVu Sans,Bold=1,FontSize=${size},PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=1,Outline=2,Shadow=0,MarginV=24`;
  ('FontName=DejaVu Sans,Bold=1,FontSize=20,PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=1,Outline=2,Shadow=0,MarginV=24');
  return `subtitles=filename=${filterValue(file)}:force_style=${filterValue(style)}`;
}
