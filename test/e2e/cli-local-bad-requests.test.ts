/**
 * Bad on-device requests through the BUILT CLI: exit 2 with the reason and the fix (never exit 1 with
 * "run again with --debug"), and no output file. Plus the output name/format rule.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { nemoIn } from '../helpers/in-process.js';
import { ffmpeg, makeClip, probeStreams } from '../helpers/media.js';
import { makePhoneClip, makeTwoAudioClip, toneLevelDb, truncate } from '../helpers/phone-media.js';
import { ensureBuilt, tempDir, testEnv } from './helpers.js';

// Real encodes on a shared, loaded machine: generous per-test time (no wall-clock assertion anywhere).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let dir: string;
let clip: string;
let silent: string;
let broken: string;
let wide: string;
let badSrt: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('nemo-e2e-localbad-');
  clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 2, audio: [[0.3, 1.7]] });
  silent = await makeClip(join(dir, 'silent.mp4'), { durationS: 2, audio: [] });
  broken = await makePhoneClip(join(dir, 'broken.mp4'), { durationS: 2 });
  await truncate(broken, 0.5);
  wide = join(dir, 'wide.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=9000x64', '-frames:v', '1', wide]);
  badSrt = join(dir, 'bad.srt');
  writeFileSync(badSrt, '1\nnot a timing line\nhello\n\n');
}, 180_000);

async function local(args: string[], out: string) {
  const r = await nemoIn(['edit', ...args, '--local', '-o', out], { env: testEnv() });
  return r;
}

/** Exit 2, the message on stderr, no "--debug" advice, no output and no temp file left. */
function expectRefused(r: { code: number | null; stderr: string }, out: string, message: RegExp): void {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/--debug/);
  expect(r.code).toBe(2);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.includes('nemo-tmp'))).toEqual([]);
}

describe('nemo edit --local: bad requests exit 2 with the fix, nothing written', () => {
  it('background music without a file', async () => {
    const out = join(dir, 'music.mp4');
    expectRefused(
      await local([clip, 'trim silences, add background music'], out),
      out,
      /needs a file.*--music/,
    );
  });

  it('cutting more than the clip is long', async () => {
    const out = join(dir, 'cut.mp4');
    expectRefused(
      await local([clip, 'cut the first 100 seconds'], out),
      out,
      /nothing would be left.*2 s long/,
    );
  });

  it('trimming the silences of an all-silent clip', async () => {
    const out = join(dir, 'silent-out.mp4');
    expectRefused(await local([silent, 'trim silences'], out), out, /silent/);
  });

  it('a truncated MP4', async () => {
    const out = join(dir, 'broken-out.mp4');
    expectRefused(await local([broken, 'trim silences'], out), out, /cannot read broken\.mp4.*truncated/);
  });

  it('a malformed SRT', async () => {
    const out = join(dir, 'captions.mp4');
    expectRefused(
      await local([clip, 'add captions', '--captions', badSrt], out),
      out,
      /no captions found in .*bad\.srt/,
    );
  });

  it('absurd parameters: speed 1000000x, a 9000 px picture, a 300-character title', async () => {
    const out = join(dir, 'absurd.mp4');
    expectRefused(await local([clip, 'speed up 1000000x'], out), out, /0\.25× to 16×/);
    expectRefused(await local([wide, 'add a title "Hi"'], out), out, /9000×64.*8192 px/);
    expectRefused(await local([clip, `add a title "${'y'.repeat(300)}"`], out), out, /at most 200/);
  });

  it('an output name that contradicts the format', async () => {
    const out = join(dir, 'x.mp4');
    expectRefused(await local([clip, 'export as gif'], out), out, /asked to be gif but its name .*x\.mp4/);
    expectRefused(
      await local([clip, 'add a title "Hi"', '--format', 'webm'], out),
      out,
      /asked to be webm but its name .*x\.mp4/,
    );
  });
});

describe('nemo edit --local: the output name follows the format', () => {
  it('without -o, "export as gif" writes clip.edited.gif holding GIF data', async () => {
    const own = tempDir('nemo-e2e-gifname-');
    const src = await makeClip(join(own, 'clip.mp4'), { durationS: 1 });
    const r = await nemoIn(['edit', src, 'export as gif', '--local'], { env: testEnv() });
    expect(r.code).toBe(0);
    const gif = join(own, 'clip.edited.gif');
    expect(r.stdout.trim()).toBe(gif);
    expect((await probeStreams(gif)).format.format_name).toBe('gif');
    expect(existsSync(join(own, 'clip.edited.mp4'))).toBe(false);
  });
});

describe('nemo edit --local --audio-stream', () => {
  it('picks the stream asked for; a stream that is not there, or not a number, exits 2', async () => {
    const own = tempDir('nemo-e2e-astream-');
    const src = await makeTwoAudioClip(join(own, 'cam.mp4'), 1.5, 1);
    const out = join(own, 'first.mp4');
    const r = await nemoIn(['edit', src, 'export', '--local', '-o', out, '--audio-stream', '0'], {
      env: testEnv(),
    });
    expect(r.code).toBe(0);
    expect((await toneLevelDb(out, 440)) - (await toneLevelDb(out, 1000))).toBeGreaterThan(15);
    expect(r.stderr).toMatch(/cam\.mp4 has 2 audio streams .*using #0 \(as asked\)/);
    const missing = join(own, 'missing.mp4');
    const r2 = await nemoIn(['edit', src, 'export', '--local', '-o', missing, '--audio-stream', '3'], {
      env: testEnv(),
    });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/there is no #3/);
    const r3 = await nemoIn(['edit', src, 'export', '--local', '-o', missing, '--audio-stream', 'two'], {
      env: testEnv(),
    });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--audio-stream two: not a stream number/);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('nemo chat --local: the default export name follows the draft format', () => {
  it('"export as gif" then "export" writes clip.edited.gif holding GIF data', async () => {
    const own = tempDir('nemo-e2e-chatgif-');
    const src = await makeClip(join(own, 'clip.mp4'), { durationS: 1 });
    const env = testEnv({ NEMO_API_URL: 'http://127.0.0.1:9' });
    const script = [`upload ${src}`, 'export as gif', 'export'].join('\n');
    const r = await nemoIn(['chat', '--local', '--new'], { env, input: `${script}\n` });
    expect(r.code, r.stderr).toBe(0);
    const gif = join(own, 'clip.edited.gif');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(gif);
    expect((await probeStreams(gif)).format.format_name).toBe('gif');
  });
});
