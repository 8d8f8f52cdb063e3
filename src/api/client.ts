import { Auth, type CredentialStore } from './auth.js';
import { Chat } from './chat.js';
import { Credits } from './credits.js';
import { type Logger, redactingLogger } from './debug-log.js';
import { Render } from './render.js';
import { Sessions } from './sessions.js';
import { State } from './state.js';
import { Transport } from './transport.js';
import { Uploads } from './upload.js';

export interface NemoClientOptions {
  /** option > NEMO_API_URL > https://mega-api-prod.nemovideo.ai */
  baseURL?: string;
  /** Web app base for links (default NEMO_WEB_URL, else https://nemovideo.com). */
  webURL?: string;
  credentials?: CredentialStore;
  /** An explicit token (wins over NEMO_TOKEN and the store). */
  token?: string;
  clientId?: string;
  /** Retries per request (default 2). */
  maxRetries?: number;
  /** Per-attempt timeout for ordinary requests (default 60 s). */
  timeoutMs?: number;
  /** X-Skill-Platform (default SKILL_SOURCE, else 'unknown'). */
  platform?: string;
  /** Debug lines (one per request; secrets redacted). The library never prints on its own. */
  logger?: Logger;
  userAgent?: string;
  /**
   * The environment the NEMO_* settings are read from (default process.env). The CLI passes its own,
   * so token precedence (option > NEMO_TOKEN > stored) is decided in one place.
   */
  env?: NodeJS.ProcessEnv;
}

/** The typed NemoVideo client. */
export class NemoClient {
  readonly transport: Transport;
  readonly auth: Auth;
  readonly sessions: Sessions;
  readonly chat: Chat;
  readonly uploads: Uploads;
  readonly state: State;
  readonly render: Render;
  readonly credits: Credits;

  constructor(options: NemoClientOptions = {}) {
    this.transport = new Transport({
      baseURL: options.baseURL,
      webURL: options.webURL,
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
      platform: options.platform,
      logger: redactingLogger(options.logger),
      userAgent: options.userAgent,
      env: options.env,
    });
    this.auth = new Auth(this.transport, {
      credentials: options.credentials,
      token: options.token,
      clientId: options.clientId,
      env: options.env,
    });
    this.transport.tokens = this.auth;
    this.sessions = new Sessions(this.transport, this.auth);
    this.chat = new Chat(this.transport);
    this.uploads = new Uploads(this.transport);
    this.state = new State(this.transport);
    this.render = new Render(this.transport);
    this.credits = new Credits(this.transport);
  }

  get baseURL(): string {
    return this.transport.baseURL.href.replace(/\/$/, '');
  }

  /** Close pooled connections (lets a short-lived process exit promptly). */
  close(): Promise<void> {
    return this.transport.close();
  }
}
