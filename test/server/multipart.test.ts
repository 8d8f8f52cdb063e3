import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MultipartError,
  MultipartParser,
  multipartBoundary,
  type PartHeaders,
} from '../../src/server/multipart.js';
import { multipartBody } from './fixtures.js';

interface Parsed {
  headers: PartHeaders;
  data: Buffer;
}

async function parse(body: Buffer, boundary: string, chunkSizes: number[]): Promise<Parsed[]> {
  const parts: Parsed[] = [];
  let current: { headers: PartHeaders; chunks: Buffer[] } | undefined;
  const parser = new MultipartParser(boundary, {
    onPartStart: (headers) => {
      current = { headers, chunks: [] };
    },
    onPartData: (chunk) => {
      current!.chunks.push(Buffer.from(chunk));
    },
    onPartEnd: () => {
      parts.push({ headers: current!.headers, data: Buffer.concat(current!.chunks) });
    },
  });
  let offset = 0;
  let i = 0;
  while (offset < body.length) {
    const size = chunkSizes[i++ % chunkSizes.length]!;
    await parser.write(body.subarray(offset, offset + size));
    offset += size;
  }
  parser.end();
  return parts;
}

describe('MultipartParser', () => {
  // Payloads that contain pieces of the delimiter, CRLFs and dashes, to tempt a naive parser.
  const boundary = '----nemoBoundary7MA4YWxk';
  const a = Buffer.concat([Buffer.from('\r\n------nemoBoundary7MA4YWx\r\n--'), randomBytes(3000)]);
  const b = Buffer.concat([randomBytes(1000), Buffer.from('\r\n--'), randomBytes(10)]);
  const { body } = multipartBody(
    [
      { name: 'a.mp4', data: a },
      { name: 'b.png', data: b },
    ],
    boundary,
  );

  it('reads every part whatever the chunking, including boundaries split across chunks', async () => {
    for (const sizes of [[body.length], [1], [2, 3, 5, 7], [17], [boundary.length + 3], [4096, 1]]) {
      const parts = await parse(body, boundary, sizes);
      expect(parts.map((p) => p.headers)).toEqual([
        { name: 'files', filename: 'a.mp4', contentType: 'application/octet-stream' },
        { name: 'files', filename: 'b.png', contentType: 'application/octet-stream' },
      ]);
      expect(parts[0]!.data.equals(a)).toBe(true);
      expect(parts[1]!.data.equals(b)).toBe(true);
    }
  });

  it('splits the body at every single offset', async () => {
    for (let cut = 1; cut < body.length; cut += 7) {
      const parser = new MultipartParser(boundary, {
        onPartStart: () => undefined,
        onPartData: () => undefined,
        onPartEnd: () => undefined,
      });
      await parser.write(body.subarray(0, cut));
      await parser.write(body.subarray(cut));
      expect(parser.finished).toBe(true);
    }
  });

  it('rejects a body without its closing boundary', async () => {
    const truncated = body.subarray(0, body.length - 10);
    await expect(parse(truncated, boundary, [100])).rejects.toBeInstanceOf(MultipartError);
  });

  it('reads quoted, escaped and RFC 5987 file names', async () => {
    const raw = Buffer.from(
      `--x\r\nContent-Disposition: form-data; name="files"; filename="a \\"q\\".mp4"\r\n\r\n1\r\n` +
        `--x\r\nContent-Disposition: form-data; name="files"; filename*=UTF-8''%C3%A9t%C3%A9.mp4\r\n\r\n2\r\n--x--\r\n`,
    );
    const parts = await parse(raw, 'x', [raw.length]);
    expect(parts.map((p) => p.headers.filename)).toEqual(['a "q".mp4', 'été.mp4']);
  });

  it('finds the boundary in a content type', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeUndefined();
  });
});
