import type { Auth } from './auth.js';
import { ApiError } from './errors.js';
import { pickString } from './fields.js';
import type { Transport } from './transport.js';

export interface CreateSessionOptions {
  taskName?: string;
  language?: string;
  signal?: AbortSignal;
}

export interface Session {
  taskId: string;
  sessionId: string;
  userId?: string;
}

export class Sessions {
  constructor(
    private readonly transport: Transport,
    private readonly auth: Auth,
  ) {}

  /** POST /api/tasks/me/with-session/nemo_agent — every call makes a new project + session. */
  async create(options: CreateSessionOptions = {}): Promise<Session> {
    const result = await this.transport.withUser((user) =>
      this.transport.json({
        method: 'POST',
        path: `/api/tasks/${user}/with-session/nemo_agent`,
        json: { task_name: options.taskName ?? 'project', language: options.language ?? 'en' },
        signal: options.signal,
      }),
    );
    const data = result.data;
    const sessionId = pickString(data, 'session_id', 'sessionId') ?? pickString(result.body, 'session_id');
    const taskId = pickString(data, 'task_id', 'taskId') ?? pickString(result.body, 'task_id');
    if (!sessionId || !taskId) {
      throw new ApiError('The create-session response had no session_id/task_id', {
        status: result.status,
        body: result.body,
      });
    }
    const userId = pickString(data, 'user_id', 'userId');
    this.auth.rememberUserId(userId);
    return userId ? { taskId, sessionId, userId } : { taskId, sessionId };
  }
}
