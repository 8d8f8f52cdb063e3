import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFile } from '../../src/server/files.js';
import { tempDir } from '../helpers/media.js';

describe('serveFile to a slow reader', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('nemo-files-drain-'));
  });
  afterAll(() => cleanup());

  it('waits for drain many times without leaving a listener behind each time', async () => {
    const path = join(dir, 'big.bin');
    const size = 8 * 1024 * 1024;
    await writeFile(path, Buffer.alloc(size, 7));
    const seen: { drains: number; closeBefore: number; closeAfter: number; drainAfter: number }[] = [];
    const server = createServer(async (req, res) => {
      let drains = 0;
      const count = (): void => {
        drains++;
      };
      res.on('drain', count);
      const closeBefore = res.listenerCount('close');
      await serveFile(req, res, path);
      res.off('drain', count);
      seen.push({
        drains,
        closeBefore,
        closeAfter: res.listenerCount('close'),
        drainAfter: res.listenerCount('drain'),
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const res = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/`, resolve));
      let received = 0;
      // Read in bursts with pauses, so the server's socket fills up again and again.
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        res.pause();
        await new Promise((r) => setTimeout(r, 1));
        res.resume();
      }
      expect(received).toBe(size);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).toHaveLength(1);
      const [s] = seen;
      expect(s?.drains).toBeGreaterThan(10);
      expect(s?.closeAfter).toBe(s?.closeBefore);
      expect(s?.drainAfter).toBe(0);
    } finally {
      server.close();
    }
  });
});
