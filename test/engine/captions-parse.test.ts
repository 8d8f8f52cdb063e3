import { describe, expect, it } from 'vitest';
import { parseSrt, parseVtt, toSrt } from '../../src/engine/captions/index.js';

describe('parseSrt', () => {
  it('reads plain SubRip', () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n';
    expect(parseSrt(srt)).toEqual([
      { startMs: 1000, endMs: 2500, text: 'Hello' },
      { startMs: 3000, endMs: 4000, text: 'World' },
    ]);
  });

  it('tolerates BOM, CRLF, missing indexes, dot separators, settings and multi-line text', () => {
    const srt =
      '\uFEFF1\r\n00:00:01,000 --> 00:00:02,000 X1:10 X2:20\r\nline one\r\nline two\r\n\r\n' +
      '00:00:02.500 --> 00:00:03.250\r\nno index\r\n\r\n\r\n' +
      '7\r\n01:02:03,4 --> 01:02:04,45\r\nshort fractions\r\n';
    expect(parseSrt(srt)).toEqual([
      { startMs: 1000, endMs: 2000, text: 'line one\nline two' },
      { startMs: 2500, endMs: 3250, text: 'no index' },
      { startMs: 3723400, endMs: 3724450, text: 'short fractions' },
    ]);
  });

  it('accepts CR-only line ends, whitespace-only separator lines and no trailing newline', () => {
    const srt = '1\r00:00:00,000 --> 00:00:01,000\rA\r \r2\r00:00:01,000 --> 00:00:02,000\rB';
    expect(parseSrt(srt).map((c) => c.text)).toEqual(['A', 'B']);
  });

  it('skips blocks without a timing, cues without text and cues without duration', () => {
    const srt =
      'garbage block\n\n1\n00:00:01,000 --> 00:00:02,000\n\n\n2\n00:00:05,000 --> 00:00:05,000\nzero\n\n' +
      '3\n00:00:06,000 --> 00:00:07,000\nkept\n';
    expect(parseSrt(srt)).toEqual([{ startMs: 6000, endMs: 7000, text: 'kept' }]);
  });

  it('returns no cues for empty or non-caption text', () => {
    expect(parseSrt('')).toEqual([]);
    expect(parseSrt('just some words\nand more')).toEqual([]);
  });
});

describe('parseVtt', () => {
  it('reads WebVTT with header, NOTE, STYLE, REGION, identifiers, settings and optional hours', () => {
    const vtt = [
      'WEBVTT - a title',
      'Kind: captions',
      '',
      'NOTE this is a comment',
      'spanning two lines',
      '',
      'STYLE',
      '::cue { color: yellow }',
      '',
      'REGION',
      'id:fred width:40%',
      '',
      'intro',
      '00:01.000 --> 00:02.500 align:start position:10%',
      '<v Roger>Hello <b.loud>there</b></v>',
      '',
      '01:00:00.000 --> 01:00:01.000',
      'Fish &amp; chips &lt;3',
      'second <00:00:00.500>line',
    ].join('\n');
    expect(parseVtt(vtt)).toEqual([
      { startMs: 1000, endMs: 2500, text: 'Hello <b>there</b>' },
      { startMs: 3600000, endMs: 3601000, text: 'Fish & chips <3\nsecond line' },
    ]);
  });

  it('tolerates a BOM and CRLF', () => {
    const vtt = '\uFEFFWEBVTT\r\n\r\n00:00:00.000 --> 00:00:01.000\r\nhi\r\n';
    expect(parseVtt(vtt)).toEqual([{ startMs: 0, endMs: 1000, text: 'hi' }]);
  });
});

describe('toSrt', () => {
  it('writes SubRip that parses back to the same cues', () => {
    const cues = [
      { startMs: 0, endMs: 999.6, text: 'first' },
      { startMs: 3723004, endMs: 3725000, text: 'two\n\nlines' },
    ];
    const srt = toSrt(cues);
    expect(srt).toBe(
      '1\n00:00:00,000 --> 00:00:01,000\nfirst\n\n2\n01:02:03,004 --> 01:02:05,000\ntwo\nlines\n',
    );
    expect(parseSrt(srt)).toEqual([
      { startMs: 0, endMs: 1000, text: 'first' },
      { startMs: 3723004, endMs: 3725000, text: 'two\nlines' },
    ]);
  });

  it('writes nothing for no cues', () => {
    expect(toSrt([])).toBe('');
  });
});
