import type { OutputFormat, Quality } from '../../base/media.js';
import type { Capabilities } from '../types.js';

export type { OutputFormat, Quality } from '../../base/media.js';

const X264_CRF: Record<Quality, number> = { low: 26, medium: 23, high: 20 };
const VP9_CRF: Record<Quality, number> = { low: 40, medium: 36, high: 32 };

/**
 * The encoder settings, in one place: mp4/mov H.264 (`-preset veryfast`, crf 20/23/26) + AAC 192k at
 * 48 kHz + `+faststart`; webm VP9 realtime + Opus; gif (palette made in the graph).
 */
export function encoderArgs(
  format: OutputFormat,
  quality: Quality,
  caps: Capabilities,
  hasAudio: boolean,
): string[] {
  if (format === 'gif') return ['-an', '-loop', '0', '-f', 'gif'];
  const audio = (codec: string[]): string[] => (hasAudio ? [...codec, '-ar', '48000', '-ac', '2'] : ['-an']);
  if (format === 'webm')
    return [
      ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1'],
      ...['-b:v', '0', '-crf', String(VP9_CRF[quality]), '-pix_fmt', 'yuv420p'],
      ...audio(['-c:a', 'libopus', '-b:a', '128k']),
      ...['-f', 'webm'],
    ];
  const video = caps.encoders.has('libx264')
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(X264_CRF[quality]), '-pix_fmt', 'yuv420p']
    : [
        '-c:v',
        'mpeg4',
        '-q:v',
        quality === 'high' ? '3' : quality === 'medium' ? '5' : '8',
        '-pix_fmt',
        'yuv420p',
      ];
  return [...video, ...audio(['-c:a', 'aac', '-b:a', '192k']), '-movflags', '+faststart', '-f', format];
}
