import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileTooLargeError, LocalInputError, UnsupportedFileError } from '../../src/api/errors.js';
import { validateUploadFile } from '../../src/api/file-checks.js';
import { baseName, contentDisposition } from '../../src/api/multipart.js';
import { normalizeUpload } from '../../src/api/upload.js';
import { loopback, parseMultipart, sendJson } from '../helpers/http.js';

let dir: string;
const ftyp = (brand = 'isom') =>
  Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}`), Buffer.alloc(12)]);
const HEADS: Record<string, Buffer> = {
  mp4: ftyp(),
  m4a: ftyp('M4A '),
  mov: ftyp('qt  '),
  mkv: Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]),
  webm: Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]),
  avi: Buffer.from('RIFF\0\0\0\0AVI LIST'),
  wav: Buffer.from('RIFF\0\0\0\0WAVEfmt '),
  webp: Buffer.from('RIFF\0\0\0\0WEBPVP8 '),
  mp3: Buffer.from('ID3\x04\0\0\0\0\0\0'),
  aac: Buffer.from([0xff, 0xf1, 0x50, 0x80, 0, 0, 0, 0]),
  jpg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
  gif: Buffer.from('GIF89a\0\0'),
};
async function media(name: string, bytes = 4096): Promise<string> {
  const ext = path.extname(name).slice(1).toLowerCase();
  const p = path.join(dir, name);
  const body = Buffer.alloc(bytes, 7);
  (HEADS[ext] ?? Buffer.alloc(0)).copy(body);
  await writeFile(p, body);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nemo-api-upload-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const { serve, client } = loopback();
async function rejects(p: Promise<unknown>): Promise<LocalInputError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(LocalInputError);
  expect((err as LocalInputError).fix.length).toBeGreaterThan(5);
  return err as LocalInputError;
}

describe('validateUploadFile', () => {
  it('accepts every supported type whose magic bytes match, with its Content-Type', async () => {
    const types: Record<string, string> = {
      mp4: 'video/mp4',
      mov: 'video/quicktime',
      mkv: 'video/x-matroska',
      webm: 'video/webm',
      avi: 'video/x-msvideo',
      jpg: 'image/jpeg',
      jpeg: 'image/jpeg',
      png: 'image/png',
      gif: 'image/gif',
      webp: 'image/webp',
      mp3: 'audio/mpeg',
      wav: 'audio/wav',
      m4a: 'audio/mp4',
      aac: 'audio/aac',
    };
    for (const [ext, type] of Object.entries(types)) {
      const info = await validateUploadFile(await media(`ok.${ext}`));
      expect(info.contentType).toBe(type);
    }
    expect((await validateUploadFile(await media('UPPER.MP4'))).contentType).toBe('video/mp4');
  });
  it('rejects a missing file', async () => {
    expect((await rejects(validateUploadFile(path.join(dir, 'nope.mp4')))).message).toMatch(/not found/);
  });
  it('rejects a directory and a dangling symlink', async () => {
    await mkdir(path.join(dir, 'folder.mp4'));
    expect((await rejects(validateUploadFile(path.join(dir, 'folder.mp4')))).message).toMatch(/regular file/);
    await symlink(path.join(dir, 'missing-target.mp4'), path.join(dir, 'dangling.mp4'));
    await rejects(validateUploadFile(path.join(dir, 'dangling.mp4')));
  });
  it('rejects an empty file', async () => {
    const p = path.join(dir, 'empty.mp4');
    await writeFile(p, '');
    expect((await rejects(validateUploadFile(p))).message).toMatch(/empty/);
  });
  it('rejects an unsupported or missing extension', async () => {
    expect((await rejects(validateUploadFile(await media('doc.txt')))).message).toMatch(
      /Unsupported file type/,
    );
    expect((await rejects(validateUploadFile(await media('noext')))).message).toMatch(/\(none\)/);
  });
  it('rejects a file over the size limit', async () => {
    const p = await media('big.mp4', 5000);
    expect((await rejects(validateUploadFile(p, { maxBytes: 4999 }))).message).toMatch(/too large/);
  });
  it('rejects content that does not match the extension', async () => {
    const png = await media('real.png');
    const fake = path.join(dir, 'fake.mp4');
    await writeFile(fake, await import('node:fs/promises').then((f) => f.readFile(png)));
    expect((await rejects(validateUploadFile(fake))).message).toMatch(/does not look like a \.mp4/);
    const text = path.join(dir, 'text.jpg');
    await writeFile(text, 'hello world, not an image');
    await rejects(validateUploadFile(text));
  });
  it('an unreadable file gets a chmod fix (as root every file is readable)', async () => {
    const p = await media('locked.mp4');
    await chmod(p, 0o000);
    const result = await validateUploadFile(p).then(
      () => 'readable',
      (e: LocalInputError) => e.fix,
    );
    // As root every file is readable; otherwise the fix names chmod.
    expect(result === 'readable' ? process.getuid?.() === 0 : /chmod/.test(result)).toBe(true);
  });
});

describe('multipart', () => {
  it('basename splits on / and \\; disposition escapes quotes and adds filename* for non-ASCII', () => {
    expect(baseName('/a/b/c.mp4')).toBe('c.mp4');
    expect(baseName('C:\\Users\\me\\clip.mp4')).toBe('clip.mp4');
    expect(contentDisposition('files', 'a"b.mp4')).toBe('form-data; name="files"; filename="a\\"b.mp4"');
    expect(contentDisposition('files', 'clïp é.mp4')).toBe(
      `form-data; name="files"; filename="cl_p _.mp4"; filename*=UTF-8''cl%C3%AFp%20%C3%A9.mp4`,
    );
  });
  it('streams an exact body: parsed back, parts equal the files, Content-Length exact, progress complete', async () => {
    const a = await media('one.mp4', 3 * 1024 * 1024 + 17);
    const b = await media('twö "q".png', 1000);
    const s = await serve((_req, res) =>
      sendJson(res, 200, {
        code: 0,
        data: {
          files: [{ filename: 'one.mp4', file_type: 'video', cdn_url: 'https://cdn/x.mp4', duration: 30.5 }],
          session_state_applied: true,
        },
      }),
    );
    const progress: { sentBytes: number; totalBytes: number }[] = [];
    const result = await client(s.url).uploads.files('5529798706024415232', [a, b], {
      onProgress: (p) => progress.push(p),
    });
    const req = s.requests[0];
    expect(req.url).toBe('/api/upload-video/nemo_agent/me/5529798706024415232');
    expect(Number(req.headers['content-length'])).toBe(req.body.length);
    const parts = parseMultipart(req.body, String(req.headers['content-type']));
    expect(parts).toHaveLength(2);
    const { readFile } = await import('node:fs/promises');
    expect(parts[0].data.equals(await readFile(a))).toBe(true);
    expect(parts[1].data.equals(await readFile(b))).toBe(true);
    expect(parts[0].headers['content-disposition']).toBe('form-data; name="files"; filename="one.mp4"');
    expect(parts[0].headers['content-type']).toBe('video/mp4');
    expect(parts[1].headers['content-disposition']).toContain(`filename*=UTF-8''tw%C3%B6%20%22q%22.png`);
    expect(parts[1].headers['content-type']).toBe('image/png');
    expect(progress.at(-1)).toEqual({ sentBytes: req.body.length, totalBytes: req.body.length });
    expect(progress.every((p, i) => i === 0 || p.sentBytes >= progress[i - 1].sentBytes)).toBe(true);
    expect(result.files[0]).toMatchObject({
      filename: 'one.mp4',
      fileType: 'video',
      url: 'https://cdn/x.mp4',
      duration: 30.5,
    });
    expect(result.sessionStateApplied).toBe(true);
  });
  it('a socket reset mid-upload is retried by re-opening the file: two attempts, one stored', async () => {
    const a = await media('reset.mp4', 4 * 1024 * 1024);
    let attempts = 0;
    const stored: Buffer[] = [];
    const s = await serve(
      async (req, res) => {
        attempts += 1;
        if (attempts === 1) {
          let got = 0;
          for await (const chunk of req) {
            got += (chunk as Buffer).length;
            if (got > 256 * 1024) {
              req.socket.destroy();
              return;
            }
          }
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        stored.push(Buffer.concat(chunks));
        sendJson(res, 200, { code: 0, data: { files: [{ filename: 'reset.mp4', url: 'u' }] } });
      },
      { readBody: false },
    );
    const result = await client(s.url).uploads.files('1', [a]);
    expect(attempts).toBe(2);
    expect(stored).toHaveLength(1);
    const parts = parseMultipart(stored[0], String(s.requests[1].headers['content-type']));
    const { readFile } = await import('node:fs/promises');
    expect(parts[0].data.equals(await readFile(a))).toBe(true);
    expect(result.files).toHaveLength(1);
  });
  it('no request is sent when a local check fails', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, {}));
    const good = await media('good.mp4');
    await rejects(client(s.url).uploads.files('1', [good, path.join(dir, 'missing.mov')]));
    expect(s.requests).toHaveLength(0);
  });
  it('a response with no files and no session_state_applied is an error', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, { code: 0, data: {} }));
    await expect(client(s.url).uploads.files('1', [await media('nofiles.mp4')])).rejects.toThrow(/no files/);
  });
  it('server 4001/4002 map to typed errors', async () => {
    let code = 4001;
    const s = await serve((_req, res) => sendJson(res, 200, { code, message: 'nope' }));
    const f = await media('srv.mp4');
    await expect(client(s.url).uploads.files('1', [f])).rejects.toBeInstanceOf(UnsupportedFileError);
    code = 4002;
    await expect(client(s.url).uploads.files('1', [f])).rejects.toBeInstanceOf(FileTooLargeError);
  });
});

describe('URL import', () => {
  it('sends {"urls":[…],"source_type":"url"} and refuses non-http schemes locally', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 200, { code: 0, data: { uploaded_files: [{ url: 'https://cdn/y.mp4' }] } }),
    );
    const c = client(s.url);
    const result = await c.uploads.urls('9', ['https://example.com/v.mp4']);
    expect(JSON.parse(s.requests[0].body.toString())).toEqual({
      urls: ['https://example.com/v.mp4'],
      source_type: 'url',
    });
    expect(result.files[0].url).toBe('https://cdn/y.mp4');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x/y.mp4', 'not a url']) {
      await rejects(c.uploads.urls('9', [bad]));
    }
    expect(s.requests).toHaveLength(1);
  });
});

describe('normalizeUpload (§12.12)', () => {
  it('finds files at data.files, data.uploaded_files, a bare array, or a single object', () => {
    expect(normalizeUpload({ files: [{ cdn_url: 'a' }] }).files[0].url).toBe('a');
    expect(normalizeUpload({ uploaded_files: [{ file_url: 'b' }] }).files[0].url).toBe('b');
    expect(normalizeUpload([{ url: 'c' }]).files[0].url).toBe('c');
    expect(normalizeUpload({ url: 'd' }).files[0].url).toBe('d');
    expect(normalizeUpload({ session_state_applied: true })).toMatchObject({
      files: [],
      sessionStateApplied: true,
    });
  });
});
