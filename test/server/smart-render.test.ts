/**
 * `nemo serve` renders take the engine's smart path (issue 15 item 6): a cut of an eligible H.264 upload
 * stream-copies the GOPs the cut leaves whole (the segment muxer's copy pass over the upload is seen), the
 * frames after the first copied keyframe are the upload's own, and a low-quality render re-encodes all.
 */

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onFfmpegSpawn, type SpawnRecord } from '../../src/engine/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { ffmpeg, makeClip, tempDir } from '../helpers/media.js';
import { call, chat, newSession, newToken, uploadFiles, waitRender } from './fixtures.js';

const run = promisify(execFile);
let dir: string;
let clip: string;
let cleanup: () => Promise<void>;
let server: RunningServer;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // 25 fps, a keyframe every second (makeClip's -g fps), x264, 720p and long enough to pay: eligible
  clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 12, width: 1280, height: 720, fps: 25 });
  server = await startServer({ heartbeatMs: 20 });
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

async function md5s(file: string): Promise<string[]> {
  const out = join(dir, `${randomUUID()}.md5`);
  await ffmpeg(['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', out]);
  return (await readFile(out, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('0,'))
    .map((l) => l.split(',').at(-1)!.trim());
}

async function renderCut(quality: string): Promise<{ file: string; spawns: SpawnRecord[] }> {
  const base = server.url;
  const token = await newToken(base);
  const sid = await newSession(base, token);
  expect((await uploadFiles(base, token, sid, [{ name: 'clip.mp4', path: clip }])).status).toBe(200);
  expect((await chat(base, token, sid, 'cut the first 1.5 seconds')).status).toBe(200);
  const { draft } = (await call(base, 'GET', `/api/state/nemo_agent/me/${sid}/latest`, { token })).json.data
    .state;
  const spawns: SpawnRecord[] = [];
  const off = onFfmpegSpawn((r) => spawns.push(r));
  try {
    const id = `render_${randomUUID()}`;
    await call(base, 'POST', '/api/render/proxy/lambda', {
      token,
      json: { id, sessionId: sid, draft, output: { format: 'mp4', quality } },
    });
    const done = await waitRender(base, token, id);
    expect(done.json.data.status).toBe('completed');
    const body = (await call(base, 'GET', new URL(done.json.data.outputUrl).pathname)).body;
    const file = join(dir, `${quality}-${id}.mp4`);
    await writeFile(file, body);
    return { file, spawns };
  } finally {
    off();
  }
}

const copyPass = (r: SpawnRecord) => r.args.includes('segment') && r.args.includes('copy');

describe('nemo serve renders through the smart path', () => {
  it('a cut copies the whole GOPs after it: the frames from 2 s on are the upload’s own', async () => {
    const { file, spawns } = await renderCut('high');
    expect(spawns.some(copyPass), spawns.map((s) => s.args.join(' ')).join('\n')).toBe(true);
    const src = await md5s(clip);
    const got = await md5s(file);
    // 1.5 s cut at 25 fps: 37 or 38 frames go (the trim picks half a frame early); GOPs start every 25 frames
    const dropped = src.length - got.length;
    expect(dropped).toBeGreaterThanOrEqual(37);
    expect(dropped).toBeLessThanOrEqual(38);
    for (let n = 50; n < src.length; n++) expect(got[n - dropped], `source frame ${n}`).toBe(src[n]);
    // the head (1.5–2 s) is re-encoded, not copied from somewhere else
    expect(got[0]).not.toBe(src[dropped]);
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(stderr).toBe('');
  });

  it('a low-quality render re-encodes the whole video (copied GOPs would keep the upload’s quality)', async () => {
    const { spawns } = await renderCut('low');
    expect(spawns.some(copyPass)).toBe(false);
    expect(spawns.some((r) => r.purpose === 'encode')).toBe(true);
  });
});
