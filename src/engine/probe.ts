import { findFfmpeg } from './ffmpeg.js';
import { runProcess } from './process.js';
import type { MediaInfo } from './types.js';

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; format_name?: string };
}

const IMAGE_FORMATS = /(^|,)(image2|png_pipe|jpeg_pipe|webp_pipe|bmp_pipe|tiff_pipe|gif)(,|$)/;

/** The display rotation in degrees (display matrix side data, or the older `rotate` tag), 0 when none. */
function rotation(stream: ProbeStream): number {
  const fromMatrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const degrees = fromMatrix ?? Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(degrees) ? degrees : 0;
}

function rate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [num, den] = text.split('/').map(Number);
  const value = den ? num! / den : num!;
  return Number.isFinite(value) && value > 0 && value < 1000 ? Math.round(value * 1000) / 1000 : undefined;
}

/** Turns ffprobe's `-show_format -show_streams` JSON into `MediaInfo`. */
export function mediaInfoFromProbe(file: string, json: ProbeJson): MediaInfo {
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  const seconds = Number(json.format?.duration ?? video?.duration ?? audio?.duration ?? 0);
  const still =
    IMAGE_FORMATS.test(json.format?.format_name ?? '') &&
    !(seconds > 0 && json.format?.format_name === 'gif');
  const kind: MediaInfo['kind'] = video ? (still ? 'image' : 'video') : 'audio';
  return {
    path: file,
    durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0,
    width: video?.width,
    height: video?.height,
    fps: video ? (rate(video.avg_frame_rate) ?? rate(video.r_frame_rate)) : undefined,
    rotation: video ? rotation(video) : undefined,
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
    kind,
  };
}

/** Probes a local media file with ffprobe. */
export async function probeMedia(file: string, opts: { signal?: AbortSignal } = {}): Promise<MediaInfo> {
  const { ffprobe } = await findFfmpeg();
  const { stdout } = await runProcess(
    ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { purpose: 'probe', signal: opts.signal },
  );
  return mediaInfoFromProbe(file, JSON.parse(stdout) as ProbeJson);
}
