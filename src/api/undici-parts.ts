import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';

/**
 * The parts of undici the transport uses, through undici's public entry: an Agent (or, with a proxy in
 * the environment, an EnvHttpProxyAgent) and `request`. The CLI's start-up cost of loading the whole
 * package is paid back by the bundle (scripts/bundle.mjs), not by reaching into undici's files.
 */

export interface RequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  headersTimeout?: number;
  bodyTimeout?: number;
}

export interface HttpParts {
  dispatcher: Dispatcher;
  request(url: URL, opts: RequestOptions): Promise<Dispatcher.ResponseData>;
}

/** `proxyEnv`: the environment whose HTTP(S)_PROXY / NO_PROXY apply, when one is set. */
export function loadHttpParts(
  proxyEnv: NodeJS.ProcessEnv | undefined,
  timeouts: { headersTimeout: number; bodyTimeout: number },
): HttpParts {
  const pick = (...names: string[]) => names.map((n) => proxyEnv?.[n]).find((v) => v !== undefined);
  const dispatcher = proxyEnv
    ? new EnvHttpProxyAgent({
        ...timeouts,
        httpProxy: pick('HTTP_PROXY', 'http_proxy'),
        httpsProxy: pick('HTTPS_PROXY', 'https_proxy'),
        noProxy: pick('NO_PROXY', 'no_proxy'),
      })
    : new Agent(timeouts);
  return {
    dispatcher,
    request: (url, opts) =>
      request(url, {
        ...(opts as Parameters<typeof request>[1]),
        dispatcher,
      }) as Promise<Dispatcher.ResponseData>,
  };
}
