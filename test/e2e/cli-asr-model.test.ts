/**
 * `--asr-model` through the BUILT CLI: a model file that is missing or is not a whisper.cpp ggml model is a
 * bad input — exit 2 with what is wrong, no "--debug" advice, no output and no temp file written.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nemoIn } from '../helpers/in-process.js';
import { makeClip } from '../helpers/media.js';
import { ensureBuilt, tempDir, testEnv } from './helpers.js';

let dir: string;
let clip: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('nemo-e2e-asr-');
  clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 1 });
}, 180_000);

describe('nemo edit --local "add captions" --asr-model <bad file>', () => {
  it.each([
    ['a missing model file', 'missing.bin', undefined, /ASR model file not found: .*missing\.bin/],
    [
      'a file that is not a ggml model',
      'model.gguf',
      'GGUF\u0003',
      /not a whisper\.cpp model: it starts with "GGUF"/,
    ],
    ['an empty file', 'empty.bin', '', /not a whisper\.cpp model: it is empty/],
  ])('%s: exit 2, the reason, nothing written', async (_what, name, content, message) => {
    const model = join(dir, name);
    if (content !== undefined) writeFileSync(model, content);
    const out = join(dir, `${name}.mp4`);
    const r = await nemoIn(['edit', clip, 'add captions', '--local', '--asr-model', model, '-o', out], {
      env: testEnv({ PATH: process.env.PATH ?? '' }),
    });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/--debug/);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('nemo-tmp'))).toEqual([]);
  });
});
