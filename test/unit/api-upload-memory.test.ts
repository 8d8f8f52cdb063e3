import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NemoClient } from '../../src/api/client.js';

/**
 * A 200 MB upload streamed from disk must not grow the client's memory with the file size. The server
 * that discards the body runs in its own child process, so this (forked) test process holds only the
 * client; RSS is sampled during the whole upload and its growth must stay < 50 MB.
 */
const SIZE = 200 * 1024 * 1024;
let dir: string;
let server: ChildProcess;
let baseURL: string;

const SERVER = `
const http = require('node:http');
const s = http.createServer(async (req, res) => {
  let n = 0;
  for await (const c of req) n += c.length;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 0, data: { files: [{ filename: 'big.mp4', cdn_url: 'u', size: n }] } }));
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nemo-api-mem-'));
  const handle = await open(path.join(dir, 'big.mp4'), 'w');
  const header = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]);
  await handle.write(header, 0, header.length, 0);
  await handle.truncate(SIZE); // sparse zeros after a valid mp4 header
  await handle.close();
  server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  baseURL = `http://127.0.0.1:${line.toString().trim()}`;
});
afterAll(async () => {
  server?.kill();
  await rm(dir, { recursive: true, force: true });
});

describe('upload memory', () => {
  it('a 200 MB upload grows the client RSS by < 50 MB', async () => {
    const client = new NemoClient({ baseURL, token: 'nmv_usr_mem' });
    // Warm up (code loading, JIT, the connection) with a small file so only the big upload is measured.
    const small = path.join(dir, 'small.mp4');
    const h = await open(small, 'w');
    await h.write(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]));
    await h.truncate(4 * 1024 * 1024);
    await h.close();
    await client.uploads.files('1', [small]);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 20);
    let sent = 0;
    try {
      const result = await client.uploads.files('1', [path.join(dir, 'big.mp4')], {
        onProgress: (p) => {
          sent = p.sentBytes;
          sample();
        },
      });
      expect((result.files[0].raw as { size: number }).size).toBe(sent);
    } finally {
      clearInterval(timer);
      await client.close();
    }
    expect(sent).toBeGreaterThan(SIZE);
    const growthMiB = (peak - before) / (1024 * 1024);
    console.log(
      `upload memory: ${(SIZE / 1048576).toFixed(0)} MiB sent, RSS growth ${growthMiB.toFixed(1)} MiB`,
    );
    expect(growthMiB).toBeLessThan(50);
  });
});
