import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { NemoClient, type NemoClientOptions } from '../../src/api/client.js';

/** Small raw node:http servers on 127.0.0.1:0 for transport edge-case tests (real HTTP, no mocks). */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Read and keep request bodies (default true); false leaves the body to the handler. */
  readBody?: boolean;
}

export async function startTestServer(
  handler: Handler,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.alloc(0),
    };
    requests.push(recorded);
    try {
      if (options.readBody !== false) {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        recorded.body = Buffer.concat(chunks);
      }
      await handler(req, res, recorded);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 500, message: String(err) }));
    }
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The server's own JSON writer: test servers answer exactly as `nemo serve` does. */
export { sendJson } from '../../src/server/http.js';

/** Parse a multipart/form-data body back into parts (test-side, tiny and strict). */
export function parseMultipart(
  body: Buffer,
  contentType: string,
): { headers: Record<string, string>; data: Buffer }[] {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  if (pos !== 0) throw new Error('body does not start with the boundary');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 4).toString() === '--\r\n') {
      if (pos + 4 !== body.length) throw new Error('bytes after the closing boundary');
      return parts;
    }
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw new Error('missing CRLF after boundary');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const dataStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), dataStart);
    if (next < 0) throw new Error('unterminated part');
    parts.push({ headers, data: body.subarray(dataStart, next) });
    pos = next + 2;
  }
}

/**
 * Per-test bookkeeping for API unit tests: `serve()` starts a loopback server, `client()` makes a
 * NemoClient for it (token `nmv_usr_tok` unless overridden); both are closed after each test.
 */
export function loopback(): {
  serve: (handler: Handler, options?: TestServerOptions) => Promise<TestServer>;
  client: (url: string, options?: NemoClientOptions) => NemoClient;
  track: (client: NemoClient) => NemoClient;
} {
  const servers: TestServer[] = [];
  const clients: NemoClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const track = (c: NemoClient): NemoClient => {
    clients.push(c);
    return c;
  };
  return {
    serve: async (handler, options) => {
      const s = await startTestServer(handler, options);
      servers.push(s);
      return s;
    },
    client: (url, options = {}) => track(new NemoClient({ baseURL: url, token: 'nmv_usr_tok', ...options })),
    track,
  };
}

/** A minimal HTTP CONNECT proxy on loopback that records the tunnels it opened. */
export async function startConnectProxy(): Promise<{
  url: string;
  connects: string[];
  close(): Promise<void>;
}> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(501);
    res.end();
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
