import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayServer, startAdkReplay, type Turn } from '../helpers/adk-replay.js';
import { nemoIn } from '../helpers/in-process.js';
import { clipIn, ensureBuilt, events, expectNoToken, tempDir, testEnv } from './helpers.js';

/**
 * What a person sees from `nemo edit` / `nemo chat` when the backend is a real Google ADK server:
 * every capture of test/fixtures/adk-sse replayed byte for byte over HTTP (test/helpers/adk-replay.ts).
 */

let dir: string;
let clip: string;
let n = 0;
let servers: ReplayServer[] = [];

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('nemo-adk-');
  clip = await clipIn(dir);
}, 120_000);
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function backend(...turns: Turn[]): Promise<ReplayServer> {
  const s = await startAdkReplay(turns, { renderedFile: clip });
  servers.push(s);
  return s;
}

const envFor = (s: ReplayServer, extra: Record<string, string> = {}) =>
  testEnv({ NEMO_API_URL: s.url, NEMO_TOKEN: 'nmv_usr_replay_token', ...extra });

/** How many times `needle` occurs in `hay`. */
const count = (hay: string, needle: string): number => hay.split(needle).length - 1;

async function edit(s: ReplayServer, extraArgs: string[] = [], extraEnv: Record<string, string> = {}) {
  const output = join(dir, `out-${++n}.mp4`);
  const r = await nemoIn(['edit', clip, 'do it', '-o', output, ...extraArgs], { env: envFor(s, extraEnv) });
  expectNoToken(r);
  const evs = extraArgs.includes('--json') && r.stdout.trim() ? events(r.stdout) : [];
  return { ...r, output, evs };
}

async function chat(s: ReplayServer, lines: string[], extraArgs: string[] = [], extraEnv = {}) {
  const r = await nemoIn(['chat', '--new', ...extraArgs], {
    env: envFor(s, extraEnv),
    input: `${lines.join('\n')}\n`,
  });
  expectNoToken(r);
  const evs = extraArgs.includes('--json') && r.stdout.trim() ? events(r.stdout) : [];
  return { ...r, evs };
}

const PLAIN = 'I trimmed the clip to 3 seconds and kept the tone underneath.';
const STREAM =
  'Sure! I added a title card that reads Hello at the start, then faded the music out at the end.';
const TOOL = 'Done: I added the title "Hello" over the first 2 seconds.';
const LONG = 'Your generated video is ready and placed on the timeline.';

describe('nemo edit against ADK captures', () => {
  it('plain: the reply shown once, the new draft rendered and downloaded; role "user" sent', async () => {
    const s = await backend({ capture: 'plain' });
    const r = await edit(s);
    expect(r.code, r.stderr).toBe(0);
    expect(count(r.stderr, PLAIN)).toBe(1);
    expect(readFileSync(r.output)).toEqual(readFileSync(clip));
    expect(s.renders).toHaveLength(1);
    expect(s.renders[0]).toMatchObject({ t: [{ tt: 0 }, { tt: 7, sg: [{ m: { text: 'plain' } }] }] });
    expect(s.runs()).toHaveLength(1);
    expect(s.runs()[0]).toMatchObject({ new_message: { role: 'user', parts: [{ text: 'do it' }] } });
    expect(s.runs()[0]).not.toHaveProperty('streaming');
  });

  it('tool: the tool is reported, the reply shown once; --json has the call and the result', async () => {
    const s = await backend({ capture: 'tool' });
    const r = await edit(s, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^… edit_multitrack$/m);
    expect(count(r.stderr, TOOL)).toBe(1);
    expect(r.evs.filter((e) => e.type === 'chat.tool')).toEqual([
      { type: 'chat.tool', phase: 'call', name: 'edit_multitrack' },
      { type: 'chat.tool', phase: 'result', name: 'edit_multitrack' },
    ]);
    expect(r.evs.filter((e) => e.type === 'chat.text')).toEqual([{ type: 'chat.text', text: TOOL }]);
    expect(r.evs.at(-1)).toMatchObject({ type: 'result', output: r.output });
  });

  it('silent: no text, so what changed is said from the state diff (stderr and state.diff)', async () => {
    const s = await backend({ capture: 'silent' });
    const r = await edit(s, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/done without a reply; what changed: added track 2 \(Title, 1 segment, 2s\)/);
    const diff = r.evs.find((e) => e.type === 'state.diff');
    expect(diff).toMatchObject({ changes: expect.any(Array), text: 'added track 2 (Title, 1 segment, 2s)' });
    expect(existsSync(r.output)).toBe(true);
  });

  it('stream without --stream: the text the capture carries is still shown once', async () => {
    const s = await backend({ capture: 'stream' });
    const r = await edit(s);
    expect(r.code, r.stderr).toBe(0);
    expect(count(r.stderr, STREAM)).toBe(1);
    expect(count(r.stderr, 'title card that reads')).toBe(1);
  });

  it('--stream: asks ADK for streaming, shows the chunks live and the final text not again', async () => {
    const s = await backend({ capture: 'stream' });
    const r = await edit(s, ['--stream', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(s.runs()[0]).toMatchObject({ streaming: true, new_message: { role: 'user' } });
    expect(count(r.stderr, STREAM)).toBe(1);
    const texts = r.evs.filter((e) => e.type === 'chat.text');
    expect(texts.filter((e) => e.partial === true)).toHaveLength(5);
    expect(texts.filter((e) => e.partial !== true)).toEqual([
      { type: 'chat.text', text: STREAM, replacesPartial: true },
    ]);
  });

  it('--stream with --local is a usage error (exit 2), nothing sent', async () => {
    const s = await backend({ capture: 'plain' });
    const r = await edit(s, ['--stream', '--local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--stream is for the cloud agent/);
    expect(s.requests).toHaveLength(0);
  });

  it('long: "still working" lines from the clock while ADK sends nothing, naming the running tool', async () => {
    const s = await backend({ capture: 'long', pauseMs: 2500 });
    const r = await edit(s, ['--json'], { NEMO_STILL_WORKING_MS: '700' });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const call = lines.indexOf('… generate_video_with_seedance (long-running)');
    const reply = lines.indexOf(LONG);
    const working = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => /^⏳ still working… \(\d+s, generate_video_with_seedance\)$/.test(l));
    expect(call, r.stderr).toBeGreaterThanOrEqual(0);
    expect(working.length, r.stderr).toBeGreaterThanOrEqual(2);
    expect(
      working.every(({ i }) => i > call && i < reply),
      r.stderr,
    ).toBe(true);
    const evs = r.evs.filter((e) => e.type === 'chat.working');
    expect(evs.length).toBe(working.length);
    expect(evs[0]).toMatchObject({ elapsedMs: expect.any(Number), tool: 'generate_video_with_seedance' });
    expect(r.evs.find((e) => e.type === 'chat.tool')).toMatchObject({ longRunning: true });
    expect(count(r.stderr, LONG)).toBe(1);
  });

  it('long past the idle limit: exit 3, and the message does not claim heartbeats (none came)', async () => {
    const s = await backend({ capture: 'long', pauseMs: 4000 });
    const r = await edit(s, ['--json'], { NEMO_CHAT_IDLE_TIMEOUT_MS: '1000' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.evs.at(-1)).toMatchObject({
      type: 'error',
      code: 'timeout',
      message: 'No data from the agent for 1 s (no event, no heartbeat)',
    });
    expect(r.stderr).not.toMatch(/heartbeats only/);
  });

  it.each([
    ['crashtext', 'the agent failed: render graph crashed'],
    ['crashq', 'the agent failed: invalid segment "title-1": end 2000 > duration at track 7'],
    ['errcode', 'the agent failed: The response was blocked for safety reasons. (SAFETY)'],
  ] as const)(
    "%s: the turn failed — exit 5 with the agent's message, nothing exported",
    async (capture, message) => {
      const s = await backend({ capture });
      const r = await edit(s, ['--json']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.evs.at(-1)).toMatchObject({ type: 'error', code: 'agent_error', exitCode: 5, message });
      expect(r.evs.filter((e) => e.type === 'error')).toHaveLength(1);
      expect(r.evs.some((e) => e.type === 'result')).toBe(false);
      expect(count(r.stderr, `error: ${message}`)).toBe(1);
      expect(s.renders).toHaveLength(0);
      expect(existsSync(r.output)).toBe(false);
      expect(s.runs()).toHaveLength(1); // never resent
    },
  );

  it('crashtext: the text before the error is shown once, and the half-done draft is named, not exported', async () => {
    const s = await backend({ capture: 'crashtext' });
    const r = await edit(s);
    expect(r.code, r.stderr).toBe(5);
    expect(count(r.stderr, 'I am adding the title now...')).toBe(1);
    expect(r.stderr).toMatch(/the failed turn left a half-done edit in the draft: added track 2 \(Title/);
    expect(r.stderr).toMatch(/→ the draft holds a half-done edit/);
    expect(r.stderr).not.toMatch(/exporting it/);
  });

  it("ADK's 404 for a lost session: recreated, labelled with what the server sent (HTTP 404), not 1002", async () => {
    const s = await backend({ lose: true }, { capture: 'plain' });
    const r = await edit(s, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/was lost on the server \(HTTP 404\): created session \d+, re-uploaded 1 file/);
    expect(r.stderr).not.toMatch(/1002/);
    expect(r.evs.find((e) => e.type === 'session.recreated')).toBeDefined();
    expect(count(r.stderr, PLAIN)).toBe(1);
  });

  it("ADK's 404 twice: the server's message printed once (not 'Session not found: Session not found')", async () => {
    const s = await backend({ lose: true });
    const r = await edit(s, ['--json']);
    expect(r.code).not.toBe(0);
    expect(r.evs.at(-1)).toMatchObject({
      type: 'error',
      code: 'session_not_found',
      message: 'Session not found',
    });
    expect(count(r.stderr, 'Session not found')).toBe(1);
    expect(r.stderr).not.toMatch(/1002/);
  });
});

describe('nemo chat against ADK captures', () => {
  it('plain, tool, silent, long in one REPL: each reply once, the tool reported, the silent edit diffed', async () => {
    const s = await backend(
      { capture: 'plain' },
      { capture: 'tool' },
      { capture: 'silent' },
      { capture: 'long', pauseMs: 1500 },
    );
    const r = await chat(s, ['trim it', 'add a title', 'add another', 'generate'], ['--json'], {
      NEMO_STILL_WORKING_MS: '600',
    });
    expect(r.code, r.stderr).toBe(0);
    for (const t of [PLAIN, TOOL, LONG]) expect(count(r.stderr, t)).toBe(1);
    expect(r.stderr).toMatch(/^… edit_multitrack$/m);
    expect(r.stderr).toMatch(/done without a reply; what changed: track 2 \(Title\): segments edited/);
    expect(r.stderr).toMatch(/^⏳ still working… \(\d+s, generate_video_with_seedance\)$/m);
    expect(r.evs.filter((e) => e.type === 'chat.done')).toHaveLength(4);
    expect(r.evs.some((e) => e.type === 'chat.working')).toBe(true);
  });

  it('an agent error is shown and the REPL goes on; the exit code is the failure (5)', async () => {
    const s = await backend({ capture: 'crashtext' }, { capture: 'crashq' }, { capture: 'plain' });
    const r = await chat(s, ['do it', 'again', 'once more'], ['--json']);
    expect(r.code, r.stderr).toBe(5);
    const errors = r.evs.filter((e) => e.type === 'error');
    expect(errors).toMatchObject([
      { code: 'agent_error', exitCode: 5, message: 'the agent failed: render graph crashed' },
      {
        code: 'agent_error',
        message: 'the agent failed: invalid segment "title-1": end 2000 > duration at track 7',
      },
    ]);
    expect(count(r.stderr, 'error: the agent failed: render graph crashed')).toBe(1);
    // the third line still went to the agent and its reply was shown
    expect(count(r.stderr, PLAIN)).toBe(1);
    expect(r.evs.filter((e) => e.type === 'chat.done')).toHaveLength(1);
    expect(s.runs()).toHaveLength(3);
  });

  it('--stream in chat: the final text of the chunks is not printed a second time', async () => {
    const s = await backend({ capture: 'stream' });
    const r = await chat(s, ['add a title'], ['--stream']);
    expect(r.code, r.stderr).toBe(0);
    expect(s.runs()[0]).toMatchObject({ streaming: true });
    expect(count(r.stderr, STREAM)).toBe(1);
  });
});
