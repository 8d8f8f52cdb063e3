import { ApiError } from './errors.js';
import { asObject, type Json, pickString } from './fields.js';
import type { Transport } from './transport.js';

/** The session state (protocol §4.7). Unknown keys are kept. */
export interface SessionStateData {
  video_infos: unknown[];
  /** The draft exactly as the server sent it (pass it to render unchanged; parse with parseDraft to read). */
  draft: unknown;
  canvas_config?: unknown;
  generated_media?: unknown;
  video_analyses?: unknown;
  [key: string]: unknown;
}

export interface SessionState {
  sessionId: string;
  taskId?: string;
  taskName?: string;
  state: SessionStateData;
  /** The decoded `data` object. */
  raw: unknown;
}

export class State {
  constructor(private readonly transport: Transport) {}

  /** GET /api/state/nemo_agent/me/<session_id>/latest */
  async get(sessionId: string, signal?: AbortSignal): Promise<SessionState> {
    const result = await this.transport.withUser((user) =>
      this.transport.json({
        method: 'GET',
        path: `/api/state/nemo_agent/${user}/${encodeURIComponent(sessionId)}/latest`,
        signal,
      }),
    );
    const data = asObject(result.data);
    if (!data) {
      throw new ApiError('The state response had no data object', {
        status: result.status,
        body: result.body,
      });
    }
    const state: Json = asObject(data.state) ?? {};
    return {
      sessionId: pickString(data, 'session_id', 'sessionId') ?? sessionId,
      taskId: pickString(data, 'task_id', 'taskId'),
      taskName: pickString(data, 'task_name', 'taskName'),
      state: {
        ...state,
        video_infos: Array.isArray(state.video_infos) ? state.video_infos : [],
        draft: state.draft ?? null,
      },
      raw: result.data,
    };
  }
}
