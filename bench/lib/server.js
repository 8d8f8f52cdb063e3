import { randomUUID } from 'node:crypto';
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
    const server = await loaded.mod.startServer({ host: '127.0.0.1', port: 0, logger, ...opts });
    if (typeof server.stats === 'function') inProcess.set(server.url, server);
    return { server, log };
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
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
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

/** Servers started here: their detailed stats (with SSE text) are read in-process, not over HTTP. */
const inProcess = new Map();

export async function stats(base) {
  const own = inProcess.get(base);
  if (own) return own.stats();
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
