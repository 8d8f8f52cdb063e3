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

export function loadHttpParts(
  proxy: boolean,
  timeouts: { headersTimeout: number; bodyTimeout: number },
): HttpParts {
  const dispatcher = proxy ? new EnvHttpProxyAgent(timeouts) : new Agent(timeouts);
  return {
    dispatcher,
    request: (url, opts) =>
      request(url, {
        ...(opts as Parameters<typeof request>[1]),
        dispatcher,
      }) as Promise<Dispatcher.ResponseData>,
  };
}
