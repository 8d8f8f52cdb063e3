import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RecordedRequest, sendJson, startTestServer, type TestServer } from './http.js';

/**
 * A NemoVideo backend on loopback whose `/run_sse` answers are captures of a real Google ADK server
 * (test/fixtures/adk-sse, see its README), served byte for byte as recorded. Around it, the few
 * endpoints a cloud edit needs, answered as the protocol documents them: create session, upload,
 * state (the session's draft, with each replayed event's `actions.stateDelta` applied, as ADK's
 * session service does), credits, render submit/poll and the rendered file (`renderedFile`, served
 * as the output of every render).
 *
 * An unknown session gets ADK's own 404 on /run_sse: `{"detail":"Session not found"}` (no body code).
 */

export const CAPTURES = [
  'plain',
  'stream',
  'tool',
  'silent',
  'long',
  'crashtext',
  'crashq',
  'errcode',
] as const;
export type CaptureName = (typeof CAPTURES)[number];

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'adk-sse');

/** The exact bytes ADK sent for one turn. */
export function captureBytes(name: CaptureName): Buffer {
  return readFileSync(join(FIXTURES, `${name}.sse`));
}

/** The draft in the session before any capture's turn: the video track the captures' drafts start from. */
export const DRAFT_BEFORE = {
  d: 3000,
  m: { title: 'project', width: 320, height: 240 },
  t: [{ tt: 0, sg: [{ d: 3000, m: { src: 'http://cdn.example/clip.mp4', name: 'clip' } }] }],
};

export type Turn =
  /** Serve this capture; for `pauseMs`, stop that long after the first frame (long.sse: the tool's silence). */
  | { capture: CaptureName; pauseMs?: number }
  /** Answer as ADK does for a session it does not have, and forget the session. */
  | { lose: true };

export interface ReplayServer extends TestServer {
  /** The JSON bodies POSTed to /run_sse, in order. */
  runs(): Record<string, unknown>[];
  /** Render submissions (their `draft`). */
  renders: unknown[];
  /** Sessions created. */
  sessions(): string[];
}

/** Frames as ADK wrote them: each ends with the blank line. */
export function frameEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  let at = bytes.indexOf('\n\n');
  while (at >= 0) {
    ends.push(at + 2);
    at = bytes.indexOf('\n\n', at + 2);
  }
  return ends;
}

/** What ADK's session service did with the events: apply each parseable event's stateDelta. */
function applyDeltas(state: Record<string, unknown>, bytes: Buffer): void {
  for (const block of bytes.toString('utf8').split('\n\n')) {
    if (!block.startsWith('data: ')) continue;
    try {
      const event = JSON.parse(block.slice(6)) as { partial?: boolean; actions?: { stateDelta?: object } };
      if (!event.partial && event.actions?.stateDelta) Object.assign(state, event.actions.stateDelta);
    } catch {
      // not JSON (ADK's f-string error frame): no event was saved
    }
  }
}

/**
 * `turns` answer successive /run_sse requests in order (the last one repeats). Other sessions than
 * the ones created here get the 404.
 */
export async function startAdkReplay(
  turns: Turn[],
  opts: { renderedFile?: string } = {},
): Promise<ReplayServer> {
  const states = new Map<string, Record<string, unknown>>();
  const runs: Record<string, unknown>[] = [];
  const renders: unknown[] = [];
  let made = 0;
  let turnNo = 0;
  let server: TestServer;

  const writeSse = async (res: ServerResponse, turn: Extract<Turn, { capture: string }>, sid: string) => {
    const bytes = captureBytes(turn.capture);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const cut = turn.pauseMs ? frameEnds(bytes)[0] : undefined;
    if (cut !== undefined && cut < bytes.length) {
      res.write(bytes.subarray(0, cut));
      await new Promise((r) => setTimeout(r, turn.pauseMs));
      if (res.destroyed) return;
      res.write(bytes.subarray(cut));
    } else res.write(bytes);
    applyDeltas(states.get(sid)!, bytes);
    res.end();
  };

  const answer = async (rec: RecordedRequest, res: ServerResponse): Promise<void> => {
    const url = new URL(rec.url, 'http://x');
    const path = url.pathname;
    const json = (): Record<string, unknown> =>
      rec.body.length ? JSON.parse(rec.body.toString('utf8')) : {};
    if (rec.method === 'POST' && /^\/api\/tasks\/[^/]+\/with-session\/nemo_agent$/.test(path)) {
      made += 1;
      const sid = `55297987060244${String(15000 + made)}`;
      states.set(sid, { draft: structuredClone(DRAFT_BEFORE), video_infos: [] });
      return sendJson(res, 200, { code: 0, data: { task_id: `task_${made}`, session_id: sid } });
    }
    const upload = /^\/api\/upload-video\/nemo_agent\/[^/]+\/([^/]+)$/.exec(path);
    if (rec.method === 'POST' && upload) {
      const state = states.get(decodeURIComponent(upload[1]!));
      if (!state) return sendJson(res, 404, { code: 1002, message: 'Session not found' });
      const file = { filename: 'clip.mp4', file_type: 'video', cdn_url: 'http://cdn.example/clip.mp4' };
      (state.video_infos as unknown[]).push(file);
      return sendJson(res, 200, { code: 0, data: { files: [file], session_state_applied: true } });
    }
    const state = /^\/api\/state\/nemo_agent\/[^/]+\/([^/]+)\/latest$/.exec(path);
    if (rec.method === 'GET' && state) {
      const sid = decodeURIComponent(state[1]!);
      const s = states.get(sid);
      if (!s) return sendJson(res, 404, { code: 1002, message: 'Session not found' });
      return sendJson(res, 200, { code: 0, data: { session_id: sid, state: s } });
    }
    if (rec.method === 'GET' && path === '/api/credits/balance/simple') {
      return sendJson(res, 200, { code: 0, data: { available: 1000, frozen: 0, total: 1000 } });
    }
    if (rec.method === 'POST' && path === '/run_sse') {
      const body = json();
      runs.push(body);
      const turn = turns[Math.min(turnNo++, turns.length - 1)]!;
      const sid = String(body.session_id ?? body.sessionId ?? '');
      if ('lose' in turn || !states.has(sid)) {
        states.delete(sid);
        // ADK's api_server: HTTPException(404, "Session not found") before the stream starts
        return sendJson(res, 404, { detail: 'Session not found' });
      }
      return writeSse(res, turn, sid);
    }
    if (rec.method === 'POST' && path === '/api/render/proxy/lambda') {
      const body = json();
      renders.push(body.draft);
      return sendJson(res, 200, { success: true, data: { id: body.id } });
    }
    const poll = /^\/api\/render\/proxy\/lambda\/([^/]+)$/.exec(path);
    if (rec.method === 'GET' && poll) {
      const id = decodeURIComponent(poll[1]!);
      return sendJson(res, 200, {
        success: true,
        data: { id, status: 'completed', progress: 100, outputUrl: `${server.url}/renders/${id}.mp4` },
      });
    }
    if (rec.method === 'GET' && path.startsWith('/renders/') && opts.renderedFile) {
      const video = readFileSync(opts.renderedFile);
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
      res.end(video);
      return;
    }
    sendJson(res, 404, { code: 404, message: `Not found: ${rec.method} ${path}` });
  };

  server = await startTestServer((_req, res, rec) => answer(rec, res));
  return Object.assign(server, {
    runs: () => runs,
    renders,
    sessions: () => [...states.keys()],
  });
}
