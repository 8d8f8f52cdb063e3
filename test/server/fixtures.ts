import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';

/** The test clip: 2 s of lavfi testsrc2 + tone, 320×180 at 25 fps (make it with `makeClip` of test/helpers). */
export const CLIP = { durationS: 2, width: 320, height: 180, fps: 25 };

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw protocol JSON, checked field by field in tests
  json: any;
}

export const ATTRIBUTION = {
  'x-skill-source': 'nemo-cli',
  'x-skill-version': '0.1.0',
  'x-skill-platform': 'test',
};

/** One raw HTTP request with undici (not the project's client). */
export async function call(
  base: string,
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD',
  path: string,
  opts: { token?: string; json?: unknown; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...ATTRIBUTION, ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  const res = await request(base + path, { method, headers, body });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const text = buf.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: buf, text, json };
}

/** A request to an admin endpoint (`/_nemo/…`) with the server's admin secret. */
export function adminCall(
  server: { url: string; adminSecret?: string },
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  opts: { json?: unknown; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  if (!server.adminSecret) throw new Error('start the server with { admin: true }');
  return call(server.url, method, path, {
    ...opts,
    headers: { 'x-nemo-admin': server.adminSecret, ...opts.headers },
  });
}

/** A fresh anonymous token. */
export async function newToken(base: string, clientId = randomUUID()): Promise<string> {
  const r = await call(base, 'POST', '/api/auth/anonymous-token', { headers: { 'x-client-id': clientId } });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
  return r.json.data.token as string;
}

export async function newSession(base: string, token: string): Promise<string> {
  const r = await call(base, 'POST', '/api/tasks/me/with-session/nemo_agent', {
    token,
    json: { task_name: 'project', language: 'en' },
  });
  if (r.status !== 200) throw new Error(`session: ${r.status} ${r.text}`);
  return r.json.data.session_id as string;
}

/** A multipart/form-data body with one `files` part per file. */
export function multipartBody(files: { name: string; data: Buffer }[], boundary = `----nemo${randomUUID()}`) {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      f.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function uploadFiles(
  base: string,
  token: string,
  sid: string,
  files: { name: string; path?: string; data?: Buffer }[],
): Promise<Reply> {
  const loaded = await Promise.all(
    files.map(async (f) => ({ name: f.name, data: f.data ?? (await readFile(f.path!)) })),
  );
  const { body, contentType } = multipartBody(loaded);
  return call(base, 'POST', `/api/upload-video/nemo_agent/me/${sid}`, {
    token,
    body,
    headers: { 'content-type': contentType },
  });
}

export interface SseReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Raw `data:` payloads, in order (multi-line data joined with \n). */
  data: string[];
  comments: string[];
  // biome-ignore lint/suspicious/noExplicitAny: raw protocol JSON
  events: any[];
  /** The payloads that were not JSON. */
  garbage: string[];
  raw: string;
}

/** Parses an SSE body per the spec's framing (blank-line separated, `:` comments, multi-line data). */
export function parseSse(raw: string): Pick<SseReply, 'data' | 'comments' | 'events' | 'garbage'> {
  const out = {
    data: [] as string[],
    comments: [] as string[],
    events: [] as unknown[],
    garbage: [] as string[],
  };
  for (const block of raw.replace(/\r\n/g, '\n').split('\n\n')) {
    const lines = block.split('\n').filter((l) => l !== '');
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    out.comments.push(...lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).trim()));
    if (data.length === 0) continue;
    const payload = data.join('\n');
    out.data.push(payload);
    if (payload === '') continue;
    try {
      out.events.push(JSON.parse(payload));
    } catch {
      out.garbage.push(payload);
    }
  }
  return out;
}

/** POST /run_sse and read the whole stream (or the JSON answer). */
export async function chat(base: string, token: string, sid: string, text: string): Promise<SseReply> {
  const res = await request(`${base}/run_sse`, {
    method: 'POST',
    headers: {
      ...ATTRIBUTION,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({
      app_name: 'nemo_agent',
      user_id: 'me',
      session_id: sid,
      new_message: { parts: [{ text }] },
    }),
  });
  const raw = await res.body.text();
  return { status: res.statusCode, headers: res.headers, raw, ...parseSse(raw) };
}

/** The texts of ADK events (`content.parts[].text`) or typed `{type:"text"}` events. */
// biome-ignore lint/suspicious/noExplicitAny: raw protocol JSON
export function texts(events: any[]): string[] {
  return events.flatMap((e) =>
    e.type === 'text'
      ? [e.content]
      : (e.content?.parts ?? [])
          .filter((p: { text?: string }) => p.text)
          .map((p: { text: string }) => p.text),
  );
}

/** Polls a render until it leaves pending/processing. */
export async function waitRender(base: string, token: string, id: string): Promise<Reply> {
  for (;;) {
    const r = await call(base, 'GET', `/api/render/proxy/lambda/${id}`, { token });
    const status = r.json?.data?.status ?? r.json?.status;
    if (status !== 'pending' && status !== 'processing') return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads a response body until it ends or breaks; a dropped connection is reported, not thrown. */
export async function readUntilDropped(
  url: string,
  opts: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  received: Buffer;
  error?: Error;
}> {
  const res = await request(url, {
    method: opts.method ?? 'GET',
    headers: { ...ATTRIBUTION, ...opts.headers },
    body: opts.body,
  });
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  try {
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
  } catch (err) {
    error = err as Error;
  }
  return { status: res.statusCode, headers: res.headers, received: Buffer.concat(chunks), error };
}
