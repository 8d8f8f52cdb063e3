import { createConnection, createServer } from 'node:net';
import { nowMs } from './clock.js';

const REQUEST_LINE = /(GET|POST|HEAD|PUT|DELETE|PATCH) (\/\S*) HTTP\/1\.[01]\r\n/g;

/**
 * A loopback TCP relay between a client and the server that timestamps, as the bytes pass (< 1 ms on loopback):
 * - `requests`: each HTTP request line the client sends ({at, method, path});
 * - `lines`: each complete SSE line (`data:` or `:` comment) the server sends ({at, line}), where `at` is the
 *   arrival of the chunk that completed the line — i.e. when the server wrote it.
 * Bytes are forwarded unchanged. `close()` ends every connection.
 */
export async function startRelay(targetPort) {
  const requests = [];
  const lines = [];
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    let partial = '';
    client.on('data', (chunk) => {
      const at = nowMs();
      const head = chunk.subarray(0, 4096).toString('latin1');
      for (const m of head.matchAll(REQUEST_LINE)) requests.push({ at, method: m[1], path: m[2] });
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      const at = nowMs();
      client.write(chunk);
      if (chunk.length > 1_000_000) return; // media bytes, not an event stream
      partial += chunk.toString('utf8');
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        const line = partial.slice(0, nl).replace(/\r$/, '');
        partial = partial.slice(nl + 1);
        if (line.startsWith('data:') || line.startsWith(':')) lines.push({ at, line });
        nl = partial.indexOf('\n');
      }
      if (partial.length > 20_000_000) partial = '';
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    lines,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
