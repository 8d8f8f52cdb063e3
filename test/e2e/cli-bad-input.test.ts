import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { nemoIn } from '../helpers/in-process.js';
import { clipIn, nemo, serverStats, startSuite, tempDir, testEnv, totalRequests } from './helpers.js';

let server: RunningServer;
let dir: string;
let clip: string;

beforeAll(async () => {
  ({ server, dir, clip } = await startSuite({ startCredits: 100_000 }));
  mkdirSync(join(dir, 'folder.mp4'));
  writeFileSync(join(dir, 'empty.mp4'), '');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  writeFileSync(join(dir, 'liar.mp4'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  writeFileSync(join(dir, 'exists.mp4'), 'x');
  // 501 MiB, sparse, with a real mp4 header so only the size is wrong
  const fd = openSync(join(dir, 'huge.mp4'), 'w');
  writeSync(fd, readFileSync(clip).subarray(0, 64));
  writeSync(fd, Buffer.from([0]), 0, 1, 501 * 1024 * 1024);
  closeSync(fd);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const env = (extra: Record<string, string> = {}) => testEnv({ NEMO_API_URL: server.url, ...extra });

const cases: [string, () => string[], RegExp, Record<string, string>?][] = [
  ['a missing file', () => ['edit', join(dir, 'nope.mp4'), 'trim'], /not found|does not exist|no such/i],
  ['a directory', () => ['edit', join(dir, 'folder.mp4'), 'trim'], /director|not a (regular )?file/i],
  ['an empty file', () => ['edit', join(dir, 'empty.mp4'), 'trim'], /empty/i],
  ['a file over 500 MB', () => ['edit', join(dir, 'huge.mp4'), 'trim'], /too large|larger|500/i],
  [
    'an unsupported extension',
    () => ['edit', join(dir, 'notes.txt'), 'trim'],
    /unsupported|not supported|\.txt/i,
  ],
  [
    'an extension that lies',
    () => ['edit', join(dir, 'liar.mp4'), 'trim'],
    /does not look like|magic|content/i,
  ],
  [
    'an existing output without --force',
    () => ['edit', clip, 'trim', '-o', join(dir, 'exists.mp4')],
    /already exists/,
  ],
  [
    'a missing output directory',
    () => ['edit', clip, 'trim', '-o', join(dir, 'no', 'such', 'out.mp4')],
    /output directory .* does not exist/,
  ],
  ['the output equal to the input', () => ['edit', clip, 'trim', '-o', clip, '--force'], /also an input/],
  ['an unknown flag', () => ['edit', clip, 'trim', '--bogus'], /unknown option/],
  ['an empty instruction', () => ['edit', clip, '   '], /instruction is empty/],
  ['no instruction at all', () => ['edit', clip], /needs the files, then the instruction/],
  [
    'a bad --quality',
    () => ['edit', clip, 'trim', '--quality', 'ultra'],
    /--quality must be one of low, medium, high/,
  ],
  ['a bad --timeout', () => ['edit', clip, 'trim', '--timeout', 'soon'], /--timeout must be/],
  ['a bad --jobs', () => ['edit', clip, 'trim', '--each', '--jobs', '0'], /--jobs/],
  ['a malformed --api-url', () => ['--api-url', 'ftp://example.com', 'credits'], /must be http or https/],
  [
    'a malformed NEMO_API_URL',
    () => ['credits'],
    /NEMO_API_URL is not a valid URL/,
    { NEMO_API_URL: 'not a url' },
  ],
  ['an unknown setting', () => ['config', 'set', 'colour', 'red'], /unknown setting/],
];
describe('bad input: exit 2, one line with the fix, and no request made', () => {
  it.each(cases)('%s', async (_name, args, message, extra) => {
    const before = totalRequests(await serverStats(server.url));
    const r = await nemoIn(args(), { env: env(extra), cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr, 'the fix line').toMatch(/^→ \S/m);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.length, r.stderr).toBeLessThanOrEqual(3);
    expect(totalRequests(await serverStats(server.url))).toBe(before);
  });

  it('an unreadable file (run as nobody when the tests run as root, since root reads every file)', async () => {
    const root = process.getuid?.() === 0;
    const open = tempDir();
    chmodSync(open, 0o777); // nobody must reach the file and make its config dir here
    const p = join(open, 'secret.mp4');
    writeFileSync(p, readFileSync(clip));
    chmodSync(p, 0o000);
    const before = totalRequests(await serverStats(server.url));
    const r = await nemo(['edit', p, 'trim'], {
      env: env({ NEMO_CONFIG_DIR: join(open, 'cfg'), HOME: open }),
      cwd: open,
      uid: root ? 65534 : undefined,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: File is not readable: .*secret\.mp4$/m);
    expect(r.stderr).toMatch(/^→ .*chmod u\+r/m);
    expect(totalRequests(await serverStats(server.url))).toBe(before);
  });

  it('--json: an unknown flag is one usage event on stdout too, pointing at the command help', async () => {
    const r = await nemoIn(['edit', clip, 'trim', '--bogus', '--json'], { env: env() });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      type: 'error',
      code: 'usage',
      exitCode: 2,
      message: "unknown option '--bogus'",
      hint: 'see nemo edit --help',
    });
    expect(r.stderr).toMatch(/^→ see nemo edit --help$/m);
  });

  it('--json still reports the error as one event on stdout', async () => {
    const r = await nemoIn(['edit', join(dir, 'nope.mp4'), 'trim', '--json'], { env: env() });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'error',
      exitCode: 2,
      code: 'bad_input',
      message: expect.any(String),
      hint: expect.any(String),
    });
  });

  it('an invalid token on stdin for auth login --with-token', async () => {
    const e = env();
    const r = await nemoIn(['auth', 'login', '--with-token'], { env: e, input: 'hunter2\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not look like a NemoVideo token/);
    expect(r.stderr).not.toContain('hunter2');
    const ok = await nemoIn(['auth', 'login', '--with-token'], {
      env: e,
      input: 'nmv_usr_0123456789abcdef\n',
    });
    expect(ok.code, ok.stderr).toBe(0);
    const status = await nemoIn(['auth', 'status', '--json'], { env: e });
    expect(JSON.parse(status.stdout)).toMatchObject({ source: 'profile', anonymous: false });
    expect(status.stdout).not.toContain('nmv_usr_');
    const token = await nemoIn(['auth', 'token'], { env: e });
    expect(token.stdout).toBe('nmv_usr_0123456789abcdef\n');
  });

  it('a corrupted config file: a clear error naming the file and the fix, never wiped', async () => {
    const e = env();
    expect((await nemoIn(['config', 'set', 'quality', 'low'], { env: e })).code).toBe(0);
    const file = join(e.NEMO_CONFIG_DIR as string, 'config.json');
    writeFileSync(file, '{"profiles": {"default": {"settings": ');
    const r = await nemoIn(['edit', clip, 'trim'], { env: e });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/corrupted/);
    expect(r.stderr).toMatch(/→ .*mv /);
    expect(readFileSync(file, 'utf8')).toBe('{"profiles": {"default": {"settings": ');
  });

  it('a credentials file readable by others is refused with exit 4 and a chmod hint', async () => {
    const e = env();
    await nemoIn(['auth', 'login', '--with-token'], { env: e, input: 'nmv_usr_0123456789abcdef' });
    const file = join(e.NEMO_CONFIG_DIR as string, 'credentials.json');
    chmodSync(file, 0o644);
    const r = await nemoIn(['auth', 'status'], { env: e });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`chmod 600 '${file}'`);
  });

  it('odd file names (spaces, colons, quotes, unicode, a leading dash after --) work', async () => {
    const sub = tempDir();
    const name = `-odd: "名前" it's.mp4`;
    const odd = await clipIn(sub, name);
    const e = env();
    const r = await nemoIn(['edit', '--quality', 'low', '--', odd, "add a title 'Odd'"], {
      env: e,
      cwd: sub,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(sub, `-odd: "名前" it's.edited.mp4`));
    // the name went through the upload unchanged: the server's state lists it
    const state = await nemoIn(['state', '--json'], { env: e });
    expect(state.code, state.stderr).toBe(0);
    const infos = JSON.parse(state.stdout).state.video_infos as { filename: string }[];
    expect(infos.map((v) => v.filename)).toEqual([name]);
  });
});
