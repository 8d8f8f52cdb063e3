import { createConnection, createServer } from 'node:net';
import { nowMs } from './clock.js';

const REQUEST_LINE = /(GET|POST|HEAD|PUT|DELETE|PATCH) (\/\S*) HTTP\/1\.[01]\r\n/g;

/**
 * A loopback TCP relay between a client and the server that timestamps, as the bytes pass (< 1 ms on loopback):
 * - `requests`: each HTTP request line the client sends ({at, method, path});
 * - `lines`: each complete SSE line (`data:` or `:` comment) the server sends ({at, line}), where `at` is the
 *   arrival of the chunk that completed the line — i.e. when the server wrote it.
 * Bytes are forwarded unchanged, except with `hold` ({ms, everyMs}): a chunked `text/event-stream` response is
 * held after its first event (the agent's tool call, when the agent starts working) for `ms`, while the relay sends
 * a `: ping` heartbeat chunk every `everyMs` in the server's own chunked framing; then the held bytes follow. This
 * stands in for a server that keeps its agent working (NEEDS.md item 4). `close()` ends every connection.
 */
export async function startRelay(targetPort, { hold } = {}) {
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
    const held = hold ? holder(client, hold, lines) : null;
    upstream.on('data', (chunk) => {
      const at = nowMs();
      if (!held?.pass(chunk)) client.write(chunk);
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
      if (held?.holding()) return held.onRelease(end);
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

const PING_CHUNK = Buffer.from('8\r\n: ping\n\n\r\n');

/**
 * The `hold` state of one connection: `pass(chunk)` returns true when it took care of the chunk (forwarded it
 * and started holding, or queued it while holding).
 */
function holder(client, { ms, everyMs }, lines) {
  let state = 'idle'; // idle → armed (event-stream headers seen) → holding → released
  const queue = [];
  const waiting = [];
  return {
    holding: () => state === 'holding',
    onRelease: (fn) => waiting.push(fn),
    pass(chunk) {
      if (state === 'holding') {
        queue.push(chunk);
        return true;
      }
      const text = state === 'released' ? '' : chunk.subarray(0, 8192).toString('latin1');
      if (
        state === 'idle' &&
        /content-type: text\/event-stream/i.test(text) &&
        /transfer-encoding: chunked/i.test(text)
      ) {
        state = 'armed';
      }
      if (state !== 'armed' || !text.includes('data: ')) return false;
      client.write(chunk);
      state = 'holding';
      const timer = setInterval(() => {
        client.write(PING_CHUNK);
        lines.push({ at: nowMs(), line: ': ping' });
      }, everyMs);
      setTimeout(() => {
        clearInterval(timer);
        state = 'released';
        for (const c of queue.splice(0)) client.write(c);
        for (const fn of waiting.splice(0)) fn();
      }, ms);
      return true;
    },
  };
}
