import { findFfmpeg } from './ffmpeg.js';
import { runProcess } from './process.js';
import type { MediaInfo } from './types.js';

export interface AudioStreamInfo {
  /** Index among the file's audio streams (`-map 0:a:<index>`). */
  index: number;
  /** Disposition default. */
  default: boolean;
  channels?: number;
  codec?: string;
  language?: string;
  title?: string;
}

/** `MediaInfo` plus what the probe also tells about phone and camera footage. */
export type ProbedMedia = MediaInfo & {
  /** Variable frame rate: the average rate is below the nominal one (`fps` is then the nominal rate). */
  vfr?: boolean;
  /** Every audio stream, when there is more than one (cameras record two). */
  audioStreams?: AudioStreamInfo[];
};

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  codec_name?: string;
  pix_fmt?: string;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number; default?: number };
  tags?: { rotate?: string; language?: string; title?: string };
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

/**
 * The frame rate to render at and whether the source is variable-rate. A VFR source (phones, screen
 * recordings) has an average rate below its nominal one (`r_frame_rate`, the rate its timestamps run on):
 * rendering at the average would drop the frames of its fast parts, so the nominal rate is used.
 */
function frameRates(video: ProbeStream): { fps?: number; vfr?: boolean } {
  const avg = rate(video.avg_frame_rate);
  const nominal = rate(video.r_frame_rate);
  if (avg === undefined) return { fps: nominal };
  if (nominal !== undefined && nominal <= 120 && nominal > avg * 1.05) return { fps: nominal, vfr: true };
  return { fps: avg };
}

/** Turns ffprobe's `-show_format -show_streams` JSON into `MediaInfo`. */
export function mediaInfoFromProbe(file: string, json: ProbeJson): ProbedMedia {
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audios = streams.filter((s) => s.codec_type === 'audio');
  const audio = audios[0];
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
    ...(video ? frameRates(video) : {}),
    rotation: video ? rotation(video) : undefined,
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
    ...(audios.length > 1
      ? {
          audioStreams: audios.map((s, k) => ({
            index: k,
            default: s.disposition?.default === 1,
            channels: s.channels,
            codec: s.codec_name,
            language: s.tags?.language,
            title: s.tags?.title,
          })),
        }
      : {}),
    kind,
  };
}

/** Probes a local media file with ffprobe. */
export async function probeMedia(file: string, opts: { signal?: AbortSignal } = {}): Promise<ProbedMedia> {
  const { ffprobe } = await findFfmpeg();
  const { stdout } = await runProcess(
    ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { purpose: 'probe', signal: opts.signal },
  );
  return mediaInfoFromProbe(file, JSON.parse(stdout) as ProbeJson);
}
