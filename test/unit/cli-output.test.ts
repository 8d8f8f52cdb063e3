import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { bar, fmtBytes, milestonesCrossed } from '../../src/cli/progress-format.js';
import { ttyFacts } from '../../src/cli/tty.js';

function capture(isTTY = false) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY });
  const text = { out: '', err: '' };
  stdout.on('data', (d) => {
    text.out += d;
  });
  stderr.on('data', (d) => {
    text.err += d;
  });
  return { streams: { stdout, stderr, stdinIsTTY: false }, text };
}

describe('TTY rules', () => {
  const base = { env: {}, stderrIsTTY: true, stdinIsTTY: true };
  it('animates only on a TTY outside CI, never with --json or --quiet', () => {
    expect(ttyFacts(base).animate).toBe(true);
    expect(ttyFacts({ ...base, env: { CI: '1' } }).animate).toBe(false);
    expect(ttyFacts({ ...base, stderrIsTTY: false }).animate).toBe(false);
    expect(ttyFacts({ ...base, json: true }).animate).toBe(false);
    expect(ttyFacts({ ...base, quiet: true }).animate).toBe(false);
    expect(ttyFacts({ ...base, env: { TERM: 'dumb' } }).animate).toBe(false);
    // a pty without a size (0 columns) cannot redraw a line
    expect(ttyFacts({ ...base, stderrColumns: 0 }).animate).toBe(false);
  });

  it('colours: --no-color and NO_COLOR win, then FORCE_COLOR, then the TTY', () => {
    expect(ttyFacts(base).colorLevel).toBe(1);
    expect(ttyFacts({ ...base, color: false }).colorLevel).toBe(0);
    expect(ttyFacts({ ...base, env: { NO_COLOR: '1', FORCE_COLOR: '3' } }).colorLevel).toBe(0);
    expect(ttyFacts({ ...base, stderrIsTTY: false, env: { FORCE_COLOR: '2' } }).colorLevel).toBe(2);
    expect(ttyFacts({ ...base, env: { FORCE_COLOR: '0' } }).colorLevel).toBe(0);
    expect(ttyFacts({ ...base, stderrIsTTY: false }).colorLevel).toBe(0);
  });

  it('prompts only when stdin and stderr are terminals', () => {
    expect(ttyFacts(base).canPrompt).toBe(true);
    expect(ttyFacts({ ...base, stdinIsTTY: false }).canPrompt).toBe(false);
  });
});

describe('Output', () => {
  it('colours stderr text once ready() when colours are on (chalk loaded then), plain otherwise', async () => {
    const on = new Output({}, { FORCE_COLOR: '1' }, capture(true).streams);
    await on.ready();
    expect(on.c.red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(on.c.dim('x')).toMatch(/^\u001b\[2mx/);
    const off = new Output({}, { NO_COLOR: '1' }, capture(true).streams);
    await off.ready();
    expect(off.c.red('x')).toBe('x');
    const pipe = new Output({}, {}, capture(false).streams);
    await pipe.ready();
    expect(pipe.c.yellow('x')).toBe('x');
  });
  it('prints milestone lines (25/50/75/100 %) when not animating, one per update', () => {
    const { streams, text } = capture();
    const out = new Output({}, {}, streams);
    const p = out.progress('uploading a.mp4', {
      event: 'upload.progress',
      bytes: true,
      fields: (s, t) => ({ sentBytes: s, totalBytes: t }),
    });
    for (let i = 0; i <= 100; i += 10) p.update(i * 1024, 100 * 1024);
    p.finish('uploaded a.mp4');
    const lines = text.err.trim().split('\n');
    expect(lines.map((l) => l.split(' (')[0])).toEqual([
      'uploading a.mp4 25%',
      'uploading a.mp4 50%',
      'uploading a.mp4 75%',
      'uploading a.mp4 100%',
      'uploaded a.mp4',
    ]);
    expect(text.out).toBe('');
  });

  it('--json: NDJSON events on stdout with documented fields; people text stays on stderr', () => {
    const { streams, text } = capture();
    const out = new Output({ json: true }, {}, streams);
    out.event('chat.text', { text: 'hi' });
    const p = out.progress('rendering', {
      event: 'render.progress',
      fields: (d) => ({ id: 'r1', progress: d }),
    });
    p.update(0, 100, { status: 'pending' });
    p.update(100, 100, { status: 'completed' });
    out.info('people text');
    const events = text.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0]).toEqual({ type: 'chat.text', text: 'hi' });
    expect(events.at(-1)).toEqual({ type: 'render.progress', id: 'r1', progress: 100, status: 'completed' });
    expect(text.err).toBe('people text\n');
  });

  it('--quiet silences people text but not errors (say)', () => {
    const { streams, text } = capture();
    const out = new Output({ quiet: true }, {}, streams);
    out.info('hidden');
    out.warn('hidden too');
    out.say('shown');
    expect(text.err).toBe('shown\n');
  });

  it('a child view prefixes lines and tags events (for --each)', () => {
    const { streams, text } = capture();
    const out = new Output({ json: true }, {}, streams);
    const child = out.child('[a.mp4] ', { file: 'a.mp4' });
    child.info('uploading');
    child.event('result', { output: 'a.edited.mp4' });
    expect(text.err).toBe('[a.mp4] uploading\n');
    expect(JSON.parse(text.out)).toEqual({ type: 'result', file: 'a.mp4', output: 'a.edited.mp4' });
  });

  it('no colour codes when colours are off', () => {
    const { streams, text } = capture(true);
    const out = new Output({ color: false }, {}, streams);
    out.warn('careful');
    expect(text.err).toBe('careful\n');
  });
});

describe('progress formatting', () => {
  it('milestones, bars and sizes', () => {
    expect(milestonesCrossed(0, 0.6)).toEqual([25, 50]);
    expect(milestonesCrossed(0.6, 1)).toEqual([75, 100]);
    expect(milestonesCrossed(0.6, 0.7)).toEqual([]);
    expect(bar(0.5, 10)).toBe('[█████░░░░░] 50%');
    expect(fmtBytes(1536 * 1024)).toBe('1.5 MiB');
    expect(fmtBytes(12)).toBe('12 B');
  });
});
