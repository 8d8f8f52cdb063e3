/**
 * Progress as people read it: milestone lines off a terminal, the redrawn bar (with elapsed time,
 * rate and ETA) and the clock-driven "working" spinner on one. The terminal here is a stream that
 * says it is a TTY; ora draws on it on its own timer, which the tests drive with fake timers, and the
 * clock the figures are read from is the test's.
 */
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Output } from '../../src/cli/output.js';
import { fmtBytes, fmtDuration, timing } from '../../src/cli/progress-format.js';

function capture(isTTY: boolean) {
  const stdout = new PassThrough();
  const base = new PassThrough();
  // what ora calls on a TTY stream, written as node's tty.WriteStream writes them
  const stderr = Object.assign(base, {
    isTTY,
    columns: 120,
    cursorTo: (x: number, y?: number) => readline.cursorTo(base, x, y),
    clearLine: (dir: -1 | 0 | 1) => readline.clearLine(base, dir),
    moveCursor: (dx: number, dy: number) => readline.moveCursor(base, dx, dy),
  });
  const text = { out: '', err: '' };
  stdout.on('data', (d) => {
    text.out += d;
  });
  stderr.on('data', (d) => {
    text.err += d;
  });
  return { streams: { stdout, stderr, stdinIsTTY: false }, text };
}

/** The last frame ora drew: the text after the last line erase, without colour codes. */
const lastFrame = (s: string): string =>
  (s.split('\u001b[0K').at(-1) ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').trim();

const KiB = 1024;

describe('milestone lines (no terminal)', () => {
  it('name the bytes at the milestone, not the bytes of the update that crossed it; the last line says 100 %', () => {
    const { streams, text } = capture(false);
    const out = new Output({}, {}, streams);
    const p = out.progress('uploading a.mp4', {
      event: 'upload.progress',
      bytes: true,
      fields: (s, t) => ({ sentBytes: s, totalBytes: t }),
    });
    const total = 512 * KiB;
    // a fast upload: two reports, the second past 75 % — then the request completes
    p.update(64 * KiB, total);
    p.update(400 * KiB, total);
    p.finish('uploaded a.mp4');
    expect(text.err.trim().split('\n')).toEqual([
      'uploading a.mp4 75% (384 KiB / 512 KiB)',
      'uploading a.mp4 100% (512 KiB / 512 KiB)',
      'uploaded a.mp4',
    ]);
  });

  it('a bar stopped without a final line (a failed render about to be retried) is not completed', () => {
    const { streams, text } = capture(false);
    const out = new Output({}, {}, streams);
    const p = out.progress('rendering', { event: 'render.progress', fields: (d) => ({ progress: d }) });
    p.update(30, 100);
    p.finish();
    expect(text.err).toBe('rendering 25%\n');
  });

  it('a label change (the phase) prints nothing by itself and names the next milestones', () => {
    const { streams, text } = capture(false);
    const out = new Output({}, {}, streams);
    const p = out.progress('planning', { event: 'local.progress', fields: () => ({}) });
    p.label('measuring loudness');
    p.label('rendering');
    p.update(50, 100);
    expect(text.err).toBe('rendering 50%\n');
  });
});

describe('sizes, durations, timing', () => {
  it('binary units, labelled as such', () => {
    expect(fmtBytes(12)).toBe('12 B');
    expect(fmtBytes(501 * KiB)).toBe('501 KiB');
    expect(fmtBytes(1536 * KiB)).toBe('1.5 MiB');
    expect(fmtBytes(3 * 1024 ** 3)).toBe('3.00 GiB');
  });

  it('durations as m:ss / h:mm:ss', () => {
    expect(fmtDuration(7_000)).toBe('0:07');
    expect(fmtDuration(125_000)).toBe('2:05');
    expect(fmtDuration(3_725_000)).toBe('1:02:05');
  });

  it('a long bar gets elapsed · rate · ETA; a short one nothing', () => {
    expect(timing(10, 100, 1_000, true)).toBe('');
    // 4 MiB in 4 s = 1 MiB/s, 6 MiB left = 6 s
    expect(timing(4 * 1024 * KiB, 10 * 1024 * KiB, 4_000, true)).toBe('0:04 · 1.0 MiB/s · 0:06 left');
    // percent bars: no rate; no ETA before any progress
    expect(timing(25, 100, 10_000, false)).toBe('0:10 · 0:30 left');
    expect(timing(0, 100, 10_000, false)).toBe('0:10');
  });
});

describe('on a terminal', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function tty() {
    const c = capture(true);
    const out = new Output({}, {}, c.streams, () => clock);
    await out.ready();
    return { out, text: c.text };
  }

  it('the bar shows sizes, then elapsed time, rate and ETA once it runs long, timed from its first figure', async () => {
    const { out, text } = await tty();
    const p = out.progress('downloading', {
      event: 'download.progress',
      bytes: true,
      fields: (r, t) => ({ receivedBytes: r, totalBytes: t }),
    });
    vi.advanceTimersByTime(100);
    expect(lastFrame(text.err)).toMatch(/downloading$/);
    clock += 30_000; // waiting for the first byte says nothing about the rate
    p.update(0, 10 * 1024 * KiB);
    vi.advanceTimersByTime(100);
    expect(lastFrame(text.err)).toMatch(/downloading \[░{20}\] 0% 0 B \/ 10\.0 MiB$/);
    clock += 5_000;
    p.update(5 * 1024 * KiB, 10 * 1024 * KiB);
    vi.advanceTimersByTime(100);
    expect(lastFrame(text.err)).toMatch(
      /downloading \[█{10}░{10}\] 50% 5\.0 MiB \/ 10\.0 MiB 0:05 · 1\.0 MiB\/s · 0:05 left$/,
    );
    p.finish('saved out.mp4');
    expect(text.err.trimEnd().endsWith('saved out.mp4')).toBe(true);
    out.close();
  });

  it('the working spinner ticks by the clock (no events needed), and update() relabels it at once', async () => {
    const { out, text } = await tty();
    const w = out.spinner('working…');
    vi.advanceTimersByTime(100);
    expect(lastFrame(text.err)).toMatch(/working…$/);
    clock += 65_000;
    vi.advanceTimersByTime(1_100);
    expect(lastFrame(text.err)).toMatch(/working… 1:05$/);
    w.update('working… · generate_video');
    expect(lastFrame(text.err)).toMatch(/working… · generate_video 1:05$/);
    w.stop('done');
    expect(text.err.trimEnd().endsWith('done')).toBe(true);
    out.close();
  });

  it('a progress label change redraws at once', async () => {
    const { out, text } = await tty();
    const p = out.progress('planning', { event: 'local.progress', fields: () => ({}) });
    p.label('measuring loudness');
    expect(lastFrame(text.err)).toMatch(/measuring loudness$/);
    p.fail();
    out.close();
  });
});

describe('off a terminal, the working spinner', () => {
  it('prints its text once, nothing on updates, and the final line', () => {
    const { streams, text } = capture(false);
    const out = new Output({}, {}, streams);
    const w = out.spinner('working…');
    w.update('working… · tool');
    w.text('working… · tool 2');
    w.stop('done');
    expect(text.err).toBe('working…\ndone\n');
  });
});
