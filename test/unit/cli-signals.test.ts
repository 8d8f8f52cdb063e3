/**
 * nemo's signal handling (src/cli/signals.ts) next to other modules' listeners: nobody else's
 * listener is removed, and when-exit's re-raise (conf → atomically → when-exit, loaded on the first
 * config write) does not turn one Ctrl-C into two. The process cases run in a real child process
 * that sends itself real signals; signals.ts is bundled for it with esbuild, when-exit is the one in
 * node_modules.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Interrupt, STOP_SIGNALS } from '../../src/cli/signals.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
let dir: string;
let signalsModule: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemo-signals-'));
  signalsModule = join(dir, 'signals.mjs');
  buildSync({
    entryPoints: [join(ROOT, 'src', 'cli', 'signals.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: signalsModule,
    logLevel: 'silent',
  });
});

/** Runs an ES module body in a child node with `Interrupt` and `whenExit` imported. */
function child(body: string): { code: number | null; out: string } {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  const whenExit = pathToFileURL(join(ROOT, 'node_modules', 'when-exit', 'dist', 'node', 'index.js')).href;
  writeFileSync(
    file,
    `import { Interrupt } from ${JSON.stringify(pathToFileURL(signalsModule).href)};
const log = (s) => process.stdout.write(s + '\\n');
const loadWhenExit = async () => (await import(${JSON.stringify(whenExit)})).default;
${body}`,
  );
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('Interrupt and other modules’ listeners (in process)', () => {
  const others: Array<[NodeJS.Signals, () => void]> = [];
  let interrupt: Interrupt | undefined;
  afterEach(() => {
    interrupt?.uninstall();
    interrupt = undefined;
    for (const [sig, fn] of others.splice(0)) process.off(sig, fn);
  });

  it('keeps the listeners that were there before and those added after install; uninstall takes only its own', async () => {
    const before = () => {};
    const after = () => {};
    others.push(['SIGINT', before], ['SIGTERM', after]);
    process.on('SIGINT', before);
    interrupt = new Interrupt().install();
    process.on('SIGTERM', after);
    await new Promise((r) => setTimeout(r, 0));
    expect(process.listeners('SIGINT')).toContain(before);
    expect(process.listeners('SIGTERM')).toContain(after);
    for (const sig of STOP_SIGNALS) expect(process.listenerCount(sig)).toBeGreaterThanOrEqual(1);
    interrupt.uninstall();
    expect(process.listeners('SIGINT')).toEqual(expect.arrayContaining([before]));
    expect(process.listeners('SIGTERM')).toEqual(expect.arrayContaining([after]));
  });
});

describe('Interrupt in a real process', () => {
  it('one Ctrl-C with when-exit loaded: the clean stop runs (no second signal), others’ listeners and when-exit’s callbacks run, exit 130', () => {
    const r = child(`
let foreign = 0;
process.on('SIGINT', () => { foreign++; });            // a module's listener, before nemo's
const interrupt = new Interrupt().install();
const whenExit = await loadWhenExit();                   // what conf loads on a first write
whenExit(() => log('when-exit callback'));
interrupt.signal.addEventListener('abort', () => {
  log('aborted: ' + interrupt.signal.reason.message);
  // the clean stop takes a while (kill ffmpeg, remove temp files, print the resume line)
  setTimeout(() => { log('clean stop, foreign listener called ' + foreign + 'x'); process.exit(130); }, 500);
});
process.kill(process.pid, 'SIGINT');
setTimeout(() => log('still running'), 10_000);
`);
    expect(r.out).toContain('aborted: interrupted (SIGINT)');
    expect(r.out).toContain('clean stop, foreign listener called 1x');
    expect(r.out).toContain('when-exit callback');
    expect(r.code).toBe(130);
  });

  it('a second Ctrl-C exits 130 at once; process.kill of other signals and pids is untouched', () => {
    const r = child(`
const interrupt = new Interrupt().install();
interrupt.signal.addEventListener('abort', () => {
  log('aborted');
  setTimeout(() => process.kill(process.pid, 'SIGINT'), 50);   // the person presses Ctrl-C again
  setTimeout(() => log('clean stop'), 5_000);
});
process.on('SIGUSR2', () => log('usr2'));
process.kill(process.pid, 'SIGUSR2');
setTimeout(() => process.kill(process.pid, 'SIGINT'), 50);
setTimeout(() => {}, 10_000);
`);
    expect(r.out).toContain('usr2');
    expect(r.out).toContain('aborted');
    expect(r.out).not.toContain('clean stop');
    expect(r.code).toBe(130);
  });

  it('SIGHUP stops the run like Ctrl-C; more SIGHUPs (a closing terminal sends several) do not cut the clean stop short', () => {
    const r = child(`
const interrupt = new Interrupt().install();
interrupt.signal.addEventListener('abort', () => {
  log('aborted: ' + interrupt.signal.reason.message);
  setTimeout(() => process.kill(process.pid, 'SIGHUP'), 50);
  setTimeout(() => { log('clean stop'); process.exit(130); }, 500);
});
process.kill(process.pid, 'SIGHUP');
setTimeout(() => {}, 10_000);
`);
    expect(r.out).toContain('aborted: interrupted (SIGHUP)');
    expect(r.out).toContain('clean stop');
    expect(r.code).toBe(130);
  });
});
