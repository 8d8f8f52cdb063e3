/**
 * `nemo plan` and `nemo edit --local --dry-run` through the built CLI: the plan as text and --json,
 * durations and cuts with a file, nothing written; refused clauses exit 2 naming them, with the grouped,
 * wrapped list of what is supported.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nemoIn } from '../helpers/in-process.js';
import { makeClip } from '../helpers/media.js';
import { ensureBuilt, events, tempDir, testEnv } from './helpers.js';

let dir: string;
let clip: string;
// nothing of this file talks to a server: an API URL nothing listens on
const env = () => testEnv({ NEMO_API_URL: 'http://127.0.0.1:9' });

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir();
  clip = await makeClip(join(dir, 'clip.mp4'), { durationS: 10 });
}, 120_000);

describe('nemo plan', () => {
  it('prints each clause and what it became, and with a file the durations and cuts; writes nothing', async () => {
    const before = readdirSync(dir).sort();
    const r = await nemoIn(['plan', 'cut the first 2 seconds and the last 2 seconds', clip], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1\. "cut the first 2 seconds" → cut the first 2 s/);
    expect(r.stdout).toMatch(
      /2\. "the last 2 seconds" \(read as "cut the last 2 seconds"\) → cut the last 2 s/,
    );
    expect(r.stdout).toMatch(/result: 10 s → 6 s/);
    expect(r.stdout).toMatch(/plays clip\.mp4 2-8 s → 0-6 s of the result/);
    expect(r.stdout).toMatch(/removed: clip\.mp4 0-2 s, clip\.mp4 8-10 s/);
    expect(r.stderr).toMatch(/dry run: nothing was written/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('says which way the render goes: smart for a cut of a clip with 1 s keyframes, full with --reencode, a grade or low quality', async () => {
    // 720p, 10 s: enough to copy for smart rendering to pay (the suite's small clip is not)
    const hd = await makeClip(join(dir, 'hd.mp4'), { durationS: 10, width: 1280, height: 720 });
    const smart = await nemoIn(['plan', 'cut the first 2 seconds', hd], { env: env() });
    expect(smart.code, smart.stderr).toBe(0);
    expect(smart.stdout).toMatch(/render: smart — \d+ % of the frames stream-copied/);
    const small = await nemoIn(['plan', 'cut the first 2 seconds', clip], { env: env() });
    expect(small.stdout).toMatch(
      /render: full re-encode — only [\d.]+ s of 320×180 could be copied: too little/,
    );
    const asked = await nemoIn(
      ['edit', clip, 'cut the first 2 seconds', '--local', '--dry-run', '--reencode'],
      {
        env: env(),
      },
    );
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(/render: full re-encode — a full re-encode was asked for/);
    const grade = await nemoIn(['plan', 'cut the first 2 seconds, make it warm', clip], { env: env() });
    expect(grade.stdout).toMatch(
      /render: full re-encode — the edit applies a colour grade to the whole clip/,
    );
    const low = await nemoIn(
      ['edit', clip, 'cut the first 2 seconds', '--local', '--dry-run', '--quality', 'low'],
      {
        env: env(),
      },
    );
    expect(low.stdout).toMatch(/render: full re-encode — the low export quality needs a full re-encode/);
    const cloud = await nemoIn(['edit', clip, 'cut the first 2 seconds', '--reencode'], { env: env() });
    expect(cloud.code).toBe(2);
    expect(cloud.stderr).toMatch(/--reencode is for --local edits/);
  });

  it('--json: one plan event with the clauses, ops and the dry run', async () => {
    const r = await nemoIn(['plan', 'cut 0:01-0:02 and 0:05-0:06, fade in', clip, '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const plan = events(r.stdout).find((e) => e.type === 'plan') as unknown as {
      ops: unknown;
      refused: unknown;
      dryRun: { outputDurationMs: number; removed: { fromMs: number; toMs: number }[] };
    };
    expect(plan.ops).toEqual([
      {
        op: 'ranges',
        keep: [],
        cut: [
          { fromMs: 1000, toMs: 2000 },
          { fromMs: 5000, toMs: 6000 },
        ],
      },
      { op: 'fade', picture: true, sound: true, inMs: 1000 },
    ]);
    expect(plan.refused).toEqual([]);
    expect(plan.dryRun.outputDurationMs).toBeCloseTo(8000, -1);
    expect(plan.dryRun.removed.map((x) => [x.fromMs, x.toMs])).toEqual([
      [1000, 2000],
      [5000, 6000],
    ]);
  });

  it('without a file it plans only ("make it punchy for Instagram" keeps the preset)', async () => {
    const r = await nemoIn(['plan', 'make it punchy for Instagram'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/colour grade: vivid \+ preset square/);
  });

  it.each([
    ['make the title bigger', /there is no title to change/],
    ['speed up the boring parts', /cannot tell which parts are boring.*trim silences/],
    ['cut the boring parts', /cannot tell which parts are boring/],
    ['translate captions', /cannot translate/],
    ['remove the ums', /filler words/],
    ['add lo-fi music', /did not understand "lo-fi"/],
  ])('"%s" is refused: exit 2, the clause and the reason', async (instruction, reason) => {
    const r = await nemoIn(['plan', instruction], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/REFUSED/);
    expect(r.stderr).toMatch(reason);
  });
});

describe('nemo edit --local --dry-run', () => {
  it('prints the plan and the result it would give, and writes neither the output nor a draft', async () => {
    const e = env();
    const out = join(dir, 'never.mp4');
    const r = await nemoIn(['edit', clip, 'trim to 4s, rotate 90', '--local', '--dry-run', '-o', out], {
      env: e,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/keep the first 4 s/);
    expect(r.stdout).toMatch(/rotate 90° clockwise/);
    expect(r.stdout).toMatch(/result: 10 s → 4 s/);
    expect(r.stderr).toMatch(/nothing was written \(the edit would write .*never\.mp4\)/);
    expect(existsSync(out)).toBe(false);
    const drafts = join(e.NEMO_CONFIG_DIR as string, 'local', 'default', 'drafts');
    expect(existsSync(drafts) ? readdirSync(drafts) : []).toEqual([]);
  });

  it('refuses --dry-run without --local (the cloud plans on its server)', async () => {
    const r = await nemoIn(['edit', clip, 'trim to 4s', '--dry-run', '--cloud'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dry-run plans an on-device edit/);
  });
});

describe('nemo edit --local with a clause it cannot read', () => {
  it('exits 2 before any work, names every refused clause, lists what it can do grouped and wrapped', async () => {
    const out = join(dir, 'refused.mp4');
    const r = await nemoIn(
      ['edit', clip, 'make the title bigger, trim silences, speed up the boring parts', '--local', '-o', out],
      { env: env() },
    );
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toMatch(/does not understand "make the title bigger" \(there is no title/);
    expect(r.stderr).toMatch(/and "speed up the boring parts" \(nemo cannot tell/);
    expect(r.stderr).toMatch(/→ it can do: .*trim/);
    for (const group of ['cuts:', 'picture:', 'sound:', 'text:', 'clips:', 'export:'])
      expect(r.stderr).toMatch(new RegExp(`^  ${group}`, 'm'));
    const longest = Math.max(
      ...r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('error:'))
        .map((l) => l.length),
    );
    expect(longest).toBeLessThanOrEqual(120);
  });
});
