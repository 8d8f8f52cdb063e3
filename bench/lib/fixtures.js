import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';

/**
 * Fixtures are generated with ffmpeg lavfi sources into bench/fixtures/ (git-ignored) and reused when a file
 * of the same name already exists. Every file is written to a temp name and renamed when complete.
 */

/**
 * A real H.264 mp4 of about `bytes` bytes (lossless x264 of testsrc2 at 720p, stopped by `-fs`, moov at the front),
 * so that a server probing uploads gets a valid file. Returns {path, bytes}.
 */
export async function bigMp4(dir, bytes) {
  const path = join(dir, `big-${bytes}.mp4`);
  if (!existsSync(path)) {
    await encode(path, [
      ...['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=30'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-c:a', 'aac', '-b:a', '128k'],
      ...['-fs', String(bytes), '-movflags', '+faststart'],
    ]);
  }
  return { path, bytes: statSync(path).size };
}

/**
 * The speech layout of the talk fixture: 1 s of silence, then repeating 8 s periods of 6 s "speech" and 2 s of
 * silence. The "speech" is a gliding tone with syllable-rate amplitude modulation that never drops to silence.
 */
const TALK_LAYOUT = { leadSilenceS: 1, periodS: 8, speechS: 6, silenceS: 2 };

const SPEECH_EXPR =
  'if(lt(t,1)+gt(mod(t-1,8),6),0,0.4*sin(2*PI*(180+40*sin(2*PI*0.5*t))*t)*(0.6+0.4*sin(2*PI*4*t)))';

/** A talking-head-like fixture: `seconds` long, w×h at 30 fps, stereo 48 kHz speech with known silences. */
export async function talkMp4(dir, seconds, w, h) {
  const path = join(dir, `talk-${seconds}s-${w}x${h}.mp4`);
  if (!existsSync(path)) {
    await encode(path, [
      ...['-f', 'lavfi', '-i', `testsrc2=s=${w}x${h}:r=30:d=${seconds}`],
      ...[
        '-f',
        'lavfi',
        '-i',
        `aevalsrc=exprs='${SPEECH_EXPR}':channel_layout=stereo:sample_rate=48000:d=${seconds}`,
      ],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '128k', '-shortest', '-movflags', '+faststart'],
    ]);
  }
  return { path, seconds, width: w, height: h, layout: TALK_LAYOUT };
}

async function encode(path, args) {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.part.mp4`;
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args, tmp]);
  renameSync(tmp, path);
}
