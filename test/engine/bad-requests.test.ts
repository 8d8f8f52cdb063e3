/**
 * Bad local requests are bad input (EditInputError, kind usage → exit 2) with the fix, refused BEFORE
 * any analysis pass or encode when the facts are known up front; ffmpeg runs that stop making progress
 * are killed by the stall watchdog.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runFfmpeg } from '../../src/engine/analysis/run-ffmpeg.js';
import { FfmpegStalledError } from '../../src/engine/errors.js';
import { findFfmpeg } from '../../src/engine/ffmpeg.js';
import {
  EditInputError,
  type LocalEditOptions,
  localEdit,
  onFfmpegSpawn,
  probeMedia,
  type SpawnRecord,
} from '../../src/engine/index.js';
import { runProcess, setStallTimeoutMs } from '../../src/engine/process.js';
import { ffmpeg, makeClip, probeStreams, tempDir } from '../helpers/media.js';
import { makePhoneClip, truncate } from '../helpers/phone-media.js';

// Real encodes on a shared, loaded machine: generous per-test time (no wall-clock assertion anywhere).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('nemo-bad-'));
  clip = await makeClip(path.join(dir, 'clip.mp4'), { durationS: 2, audio: [[0.2, 1.8]] });
});
afterAll(() => cleanup());
afterEach(() => setStallTimeoutMs(undefined));

/** Runs the edit, returning the error and the ffmpeg spawns it made. */
async function refused(o: Partial<LocalEditOptions> & { instruction: string }, out = 'out.mp4') {
  const spawns: SpawnRecord[] = [];
  const off = onFfmpegSpawn((r) => spawns.push(r));
  const outPath = path.join(dir, out);
  const err = await localEdit({ files: [clip], outPath, ...o }).catch((e: unknown) => e);
  off();
  expect(existsSync(outPath)).toBe(false);
  expect(err).toBeInstanceOf(EditInputError);
  expect((err as EditInputError).kind).toBe('usage');
  const expensive = spawns.filter((s) => s.purpose === 'analysis' || s.purpose === 'encode');
  return { message: (err as Error).message, expensive, spawns };
}

describe('refused before any analysis or encode', () => {
  it('background music with no file (even after a silence trim in the same instruction)', async () => {
    const r = await refused({ instruction: 'trim silences, add background music' });
    expect(r.message).toMatch(/background music needs a file/);
    expect(r.expensive).toEqual([]);
    // the plan alone decides: not even a probe
    expect(r.spawns.filter((s) => s.purpose === 'probe')).toEqual([]);
  });

  it('cutting more than the clip is long', async () => {
    for (const instruction of ['trim silences, cut the first 100 seconds', 'cut the last 2 seconds']) {
      const r = await refused({ instruction });
      expect(r.message).toMatch(/nothing would be left, the clip \(clip\.mp4\) is 2 s long/);
      expect(r.expensive).toEqual([]);
    }
  });

  it('a captions file with no cues in it', async () => {
    const srt = path.join(dir, 'bad.srt');
    await writeFile(srt, '1\nthis is not a timing line\nhello\n\n2\n00:00:01 -> 2\nworld\n');
    const r = await refused({ instruction: 'trim silences, add captions', captionsPath: srt });
    expect(r.message).toMatch(/no captions found in .*bad\.srt/);
    expect(r.expensive).toEqual([]);
  });

  it('absurd parameters: speed, title length', async () => {
    for (const instruction of ['speed up 1000000x', 'slow down to 0.01x', 'speed up 8x, speed up 4x']) {
      const r = await refused({ instruction });
      expect(r.message).toMatch(/the speed can be 0\.25× to 16×/);
      expect(r.expensive).toEqual([]);
    }
    const long = await refused({ instruction: `add a title "${'x'.repeat(201)}"` });
    expect(long.message).toMatch(/201 characters long; at most 200/);
  });

  it('a picture larger than 8192 px a side', async () => {
    const big = path.join(dir, 'wide.png');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=9000x64', '-frames:v', '1', big]);
    const r = await refused({ files: [big], instruction: 'add a title "Hi"' });
    expect(r.message).toMatch(/wide\.png is 9000×64: nemo edits pictures up to 8192 px a side/);
    expect(r.expensive).toEqual([]);
  });

  it('a truncated MP4 (the phone never wrote its index)', async () => {
    const broken = path.join(dir, 'broken.mp4');
    await makePhoneClip(broken, { durationS: 2 });
    await truncate(broken, 0.5);
    const r = await refused({ files: [broken], instruction: 'trim silences' });
    expect(r.message).toMatch(/cannot read broken\.mp4: .*damaged\/truncated/);
    expect(r.expensive).toEqual([]);
  });

  it('an audio stream number that is not a number of a stream', async () => {
    const r = await refused({ instruction: 'export', audioStream: -1 });
    expect(r.message).toMatch(/give a stream number/);
  });
});

describe('the output format follows the name, or the request is refused', () => {
  it('"export as gif" into x.mp4 and format webm into x.mp4 are refused; the name alone decides', async () => {
    const gif = await refused({ instruction: 'export as gif' }, 'x.mp4');
    expect(gif.message).toMatch(/asked to be gif but its name .*x\.mp4 ends in \.mp4/);
    expect(gif.expensive).toEqual([]);
    const webm = await refused({ instruction: 'add a title "Hi"', format: 'webm' }, 'x.mp4');
    expect(webm.message).toMatch(/asked to be webm but its name .*x\.mp4 ends in \.mp4/);
    const both = await refused({ instruction: 'export as gif', format: 'webm' }, 'x.webm');
    expect(both.message).toMatch(/the instruction asks for gif but the format option asks for webm/);
    const odd = await refused({ instruction: 'export' }, 'x.mkv');
    expect(odd.message).toMatch(/ends in \.mkv, which is not a format nemo writes/);
  });

  it('a matching name and format write that container', async () => {
    const out = path.join(dir, 'agree.gif');
    await localEdit({ files: [clip], instruction: 'export as gif', outPath: out });
    expect((await probeStreams(out)).format.format_name).toBe('gif');
    const webm = path.join(dir, 'byname.webm');
    await localEdit({ files: [clip], instruction: 'cut the first 1 second', outPath: webm });
    expect((await probeStreams(webm)).format.format_name).toMatch(/webm/);
  });
});

describe('the stall watchdog', () => {
  it('kills a child that writes nothing for the timeout and says so', async () => {
    const err = await runProcess('sh', ['-c', 'exec sleep 30'], { purpose: 'analysis', stallMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegStalledError);
    expect((err as Error).message).toMatch(/sh made no progress for 300 ms and was stopped/);
  });

  it('leaves alone a child that keeps writing, however long it runs', async () => {
    const out = await runProcess('sh', ['-c', 'for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.1; done'], {
      purpose: 'analysis',
      stallMs: 400,
    });
    expect(out.stdout.trim().split('\n')).toHaveLength(8);
  });

  it('stops ffprobe blocked on an input that never delivers (a FIFO nobody writes)', async () => {
    const fifo = path.join(dir, 'never.mp4');
    execFileSync('mkfifo', [fifo]);
    setStallTimeoutMs(500);
    await expect(probeMedia(fifo)).rejects.toBeInstanceOf(FfmpegStalledError);
  });

  it('analysis passes report progress on fd 3: a quiet pass longer than the timeout survives', async () => {
    // -re: 4 s of audio read in real time, nothing on stdout/stderr (-nostats) after the start; only fd 3
    // shows progress (every 0.5 s).
    setStallTimeoutMs(1500);
    const { ffmpeg: bin } = await findFfmpeg();
    const out = await runFfmpeg(bin, ['-re', '-f', 'lavfi', '-i', 'anullsrc=d=4', '-f', 'null', '-']);
    expect(out.stdout).toBe('');
  });
});
