import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { loadDist } from './parts.js';

/**
 * `nemo serve` for the benchmark (startServer from dist/server/index.js) plus the raw HTTP calls the bench
 * makes itself, so that baselines (curl) get the same token and session as nemo. `log` collects the server's
 * logger lines with the time each was written (its access lines `GET /path 200 12ms` are written when a
 * response closes).
 */
export async function startBenchServer(opts) {
  const loaded = await loadDist('server/index.js');
  if (loaded.missing) return { missing: loaded.missing };
  if (typeof loaded.mod.startServer !== 'function')
    return { missing: 'dist/server/index.js has no startServer' };
  const log = [];
  const logger = (line) => log.push({ at: Date.now(), line });
  try {
    return { server: await loaded.mod.startServer({ host: '127.0.0.1', port: 0, logger, ...opts }), log };
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND')
      return { missing: `the server cannot start yet: ${err.message}` };
    throw err;
  }
}

const HEADERS = {
  'X-Skill-Source': 'nemo-bench',
  'X-Skill-Version': '0',
  'X-Skill-Platform': 'terminal',
};

async function call(url, { method = 'GET', token, body, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...HEADERS,
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body && !(body instanceof FormData) ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url} → ${res.status}: not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok || (typeof json.code === 'number' && json.code !== 0) || json.success === false) {
    throw new Error(`${method} ${url} → ${res.status}: ${text.slice(0, 300)}`);
  }
  return json.data ?? json;
}

/** An anonymous token and a fresh session: {token, sessionId, taskId, clientId}. */
export async function tokenAndSession(base) {
  const clientId = randomUUID();
  const auth = await call(`${base}/api/auth/anonymous-token`, {
    method: 'POST',
    headers: { 'X-Client-Id': clientId },
  });
  const sess = await call(`${base}/api/tasks/me/with-session/nemo_agent`, {
    method: 'POST',
    token: auth.token,
    body: { task_name: 'bench', language: 'en' },
  });
  return { token: auth.token, sessionId: sess.session_id, taskId: sess.task_id, clientId };
}

export function uploadUrl(base, sessionId) {
  return `${base}/api/upload-video/nemo_agent/me/${sessionId}`;
}

export async function uploadFile(base, token, sessionId, path) {
  const form = new FormData();
  form.append('files', await openAsBlob(path), basename(path));
  return call(uploadUrl(base, sessionId), { method: 'POST', token, body: form });
}

/** Sends one chat message and reads the SSE stream to its end; returns the raw text. */
export async function chat(base, token, sessionId, text) {
  const res = await fetch(`${base}/run_sse`, {
    method: 'POST',
    headers: {
      ...HEADERS,
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'text/event-stream',
    },
    body: JSON.stringify({
      app_name: 'nemo_agent',
      user_id: 'me',
      session_id: sessionId,
      new_message: { parts: [{ text }] },
    }),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`/run_sse → ${res.status}: ${body.slice(0, 300)}`);
  return body;
}

export async function getState(base, token, sessionId) {
  return call(`${base}/api/state/nemo_agent/me/${sessionId}/latest`, { token });
}

export async function submitRender(base, token, sessionId, draft) {
  const id = `render_${randomUUID()}`;
  await call(`${base}/api/render/proxy/lambda`, {
    method: 'POST',
    token,
    body: { id, sessionId, draft, output: { format: 'mp4', quality: 'high' } },
  });
  return id;
}

/** Polls a render until it is completed (every 100 ms); returns the poll body. */
export async function waitRender(base, token, id, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const body = await call(`${base}/api/render/proxy/lambda/${id}`, { token });
    const status = body.status ?? body.data?.status;
    if (status === 'completed') return body;
    if (status === 'failed') throw new Error(`render ${id} failed: ${JSON.stringify(body).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`render ${id} did not complete in ${timeoutMs} ms`);
}

/** The output URL of a completed render, whichever poll shape the server speaks. */
export function renderOutputUrl(body) {
  return body.output?.url ?? body.outputUrl ?? body.data?.outputUrl ?? body.data?.output?.url ?? null;
}

export async function stats(base) {
  const res = await fetch(`${base}/_nemo/stats`);
  if (!res.ok) throw new Error(`/_nemo/stats → ${res.status}`);
  const json = await res.json();
  return json.data ?? json;
}

const ACCESS = /^([A-Z]+) (\S+) (\d+)(?: \(dropped\))? (\d+)ms$/;

/** The server's access-log lines as requests: {method, path, status, ms, arrivedAt (= logged − duration)}. */
export function accessLog(log) {
  const out = [];
  for (const { at, line } of log) {
    const m = ACCESS.exec(line);
    if (m)
      out.push({
        method: m[1],
        path: m[2],
        status: Number(m[3]),
        ms: Number(m[4]),
        arrivedAt: at - Number(m[4]),
      });
  }
  return out.sort((a, b) => a.arrivedAt - b.arrivedAt);
}
