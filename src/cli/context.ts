import type { NemoClient } from '../api/index.js';
import {
  ConfigStore,
  checkApiUrl,
  configDir,
  ProfileCredentials,
  type ProfileSettings,
  profileName,
} from '../config/index.js';
import { setActiveContext } from './active.js';
import { type IOStreams, processIO } from './io.js';
import { Output } from './output.js';
import { Interrupt } from './signals.js';

/** The global flags every command accepts (commander's `optsWithGlobals()`). */
export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
  profile?: string;
  apiUrl?: string;
}

/** What a command handler gets: output, Ctrl-C, the profile's config and credentials, and the client. */
export class Ctx {
  readonly out: Output;
  readonly interrupt: Interrupt;
  readonly profile: string;
  readonly debug: boolean;
  private storeCache?: ConfigStore;
  private credentialsCache?: ProfileCredentials;
  private clientCache?: Promise<NemoClient>;

  readonly env: NodeJS.ProcessEnv;
  /** The exit code a command sets when it finishes without throwing (e.g. `edit --each` with failures). */
  exitCode?: number;

  constructor(
    readonly flags: GlobalFlags,
    readonly io: IOStreams = processIO(),
  ) {
    const env = io.env;
    this.env = env;
    this.out = new Output(flags, env, {
      stdout: io.stdout,
      stderr: io.stderr,
      stdinIsTTY: !!io.stdin.isTTY,
    });
    this.interrupt = new Interrupt().install();
    this.profile = profileName(flags.profile, env);
    this.debug =
      !!flags.debug || (env.NEMO_DEBUG !== undefined && env.NEMO_DEBUG !== '' && env.NEMO_DEBUG !== '0');
  }

  /** The profile store (opened on first use; a corrupted file is a ConfigError naming it). */
  store(): ConfigStore {
    this.storeCache ??= new ConfigStore(configDir(this.env), this.profile);
    return this.storeCache;
  }

  credentials(): ProfileCredentials {
    this.credentialsCache ??= new ProfileCredentials(this.store());
    return this.credentialsCache;
  }

  settings(): ProfileSettings {
    return this.store().settings();
  }

  /** `--api-url` > `NEMO_API_URL` > the profile's api-url; validated (exit 2 when malformed). */
  apiUrl(): string | undefined {
    if (this.flags.apiUrl !== undefined) return checkApiUrl(this.flags.apiUrl, '--api-url');
    if (this.env.NEMO_API_URL) return checkApiUrl(this.env.NEMO_API_URL, 'NEMO_API_URL');
    const saved = this.settings()['api-url'];
    return saved ? checkApiUrl(saved, `api-url in ${this.store().file}`) : undefined;
  }

  /** A debug line on stderr (already redacted by the api's logger). */
  log = (line: string): void => {
    this.out.say(this.out.c.dim(line));
  };

  /** The NemoVideo client for this profile (the api module is loaded only here). */
  client(): Promise<NemoClient> {
    this.clientCache ??= (async () => {
      const baseURL = this.apiUrl();
      // The X-Client-Id is created and saved by the first anonymous-token request, before it is sent
      // (Auth → credentials.clientId()); with NEMO_TOKEN nothing needs it and nothing is written.
      const credentials = this.credentials();
      // a security downgrade is said even under --quiet
      if (this.env.NODE_TLS_REJECT_UNAUTHORIZED === '0')
        this.out.say(
          this.out.c.yellow(
            'TLS certificate checks are off (NODE_TLS_REJECT_UNAUTHORIZED=0): anyone between you and the server can read your token; unset it',
          ),
        );
      const { NemoClient } = await import('../api/index.js');
      return new NemoClient({
        baseURL,
        credentials,
        env: this.env,
        logger: this.debug ? this.log : undefined,
      });
    })();
    return this.clientCache;
  }

  /** Stops spinners, removes the signal handlers and closes pooled connections. */
  async close(): Promise<void> {
    this.interrupt.uninstall();
    this.out.close();
    const client = this.clientCache;
    this.clientCache = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }
}

export async function createContext(flags: GlobalFlags, io: IOStreams = processIO()): Promise<Ctx> {
  const ctx = new Ctx(flags, io);
  await ctx.out.ready();
  setActiveContext(ctx);
  return ctx;
}
