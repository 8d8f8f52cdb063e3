import { describe, expect, it } from 'vitest';
import { redact } from '../../src/api/debug-log.js';
import { redactSecrets, redactUrlSecrets, stripControls } from '../../src/base/redact.js';
import { childEnv } from '../../src/engine/child-env.js';

const ESC = '\x1b';

describe('stripControls', () => {
  it('removes OSC 52 (clipboard), OSC 0 (title), CSI clear-screen, DCS, BEL, backspace and CR tricks; keeps \\n and \\t', () => {
    const evil = [
      `a${ESC}]52;c;ZXZpbA==\x07b`, // clipboard write, BEL-terminated
      `${ESC}]0;owned${ESC}\\title`, // window title, ST-terminated
      `${ESC}[2J${ESC}[H${ESC}[31mred${ESC}[0m`, // clear, home, colours
      `${ESC}P1;2|payload${ESC}\\dcs`, // DCS
      `\x9b2J\x9d0;c1\x9cC1`, // the 8-bit forms
      'ok\x08\x08no', // backspaces
      'safe\rEVIL', // a carriage return that overwrites the line
      'line1\r\nline2\tcol',
      `${ESC}c${ESC}7${ESC}(B`, // reset, save cursor, charset
    ].join('|');
    const clean = stripControls(evil);
    expect(clean).toBe('ab|title|red|dcs|C1|okno|safeEVIL|line1\nline2\tcol|');
    expect(clean).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('keepColors keeps only the plain SGR colour codes nemo writes', () => {
    expect(stripControls(`${ESC}[33mwarn${ESC}[39m${ESC}]0;t\x07${ESC}[2J`, { keepColors: true })).toBe(
      `${ESC}[33mwarn${ESC}[39m`,
    );
  });

  it('leaves ordinary text (and non-Latin text) as it is', () => {
    const text = '已剪辑 0.5 秒 — done ✓\n';
    expect(stripControls(text)).toBe(text);
  });
});

describe('redactSecrets / redactUrlSecrets', () => {
  it('hides known token values, nmv_usr_ tokens and bearer values', () => {
    const known = ['sk-live-0123456789abcdef'];
    expect(redactSecrets('echo: sk-live-0123456789abcdef; Bearer abc.def; nmv_usr_AbC-1_x', known)).toBe(
      'echo: ***; Bearer ***; nmv_usr_***',
    );
    expect(redactSecrets('Basic plan required')).toBe('Basic plan required');
  });

  it('hides URL userinfo and signature/credential query parameters', () => {
    const u =
      'GET https://alice:hunter2@cdn.example/v.mp4?X-Amz-Signature=abc&X-Amz-Credential=AKIA/x&sig=s1&signature=s2&X-Goog-Signature=g&access_token=t&key=k&code=c&token=t2&keep=1';
    const r = redactUrlSecrets(u);
    expect(r).toBe(
      'GET https://***@cdn.example/v.mp4?X-Amz-Signature=***&X-Amz-Credential=***&sig=***&signature=***&X-Goog-Signature=***&access_token=***&key=***&code=***&token=***&keep=1',
    );
    expect(redact(u)).toBe(r);
    for (const secret of ['alice', 'hunter2', 'AKIA', 's1', 's2'])
      expect(r.includes(`=${secret}`) || r.includes(secret)).toBe(false);
  });
});

describe('childEnv', () => {
  it('drops NEMO_*, tokens, secrets, passwords, keys and cloud credentials; strips proxy userinfo; keeps the rest', () => {
    const env = childEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      TMPDIR: '/tmp',
      NEMO_TOKEN: 'nmv_usr_x',
      NEMO_API_URL: 'http://x',
      GITHUB_TOKEN: 'g',
      MY_SECRET: 's',
      DB_PASSWORD: 'p',
      OPENAI_API_KEY: 'k',
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      GOOGLE_APPLICATION_CREDENTIALS: '/c.json',
      HTTPS_PROXY: 'http://user:pw@proxy:3128',
      no_proxy: 'localhost',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      TMPDIR: '/tmp',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
    });
  });
});
