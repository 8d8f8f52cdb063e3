import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

/**
 * The parts of undici the transport uses, loaded on their own. `import 'undici'` evaluates the whole
 * package (fetch, WebSocket, EventSource, cache, cookies, mocks — and its cookies module touches the
 * global `Headers`, which makes Node load its own bundled copy of undici as well): ~70 ms and ~7 MiB of
 * every command's start-up, against ~30 ms for the agent and the request API alone (measured with
 * `node -e "import('undici')"` vs the three files below, median of 5). undici has no `exports` map, so
 * these paths resolve; if a future undici moves them, the whole package is loaded instead.
 *
 * With a proxy configured the whole package is loaded: EnvHttpProxyAgent's CONNECT tunnel calls
 * `Client#connect`, an API method that undici's index installs on Dispatcher.prototype.
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

type AgentClass = new (opts: { headersTimeout: number; bodyTimeout: number }) => Dispatcher;
type ApiRequest = (this: Dispatcher, opts: object) => Promise<Dispatcher.ResponseData>;

const require = createRequire(import.meta.url);

export function loadHttpParts(
  proxy: boolean,
  timeouts: { headersTimeout: number; bodyTimeout: number },
): HttpParts {
  if (!proxy) {
    const lite = loadLite();
    if (lite) {
      const dispatcher = new lite.Agent(timeouts);
      return {
        dispatcher,
        // what undici's top-level request() does with a URL: origin + path + method
        request: (url, opts) =>
          lite.apiRequest.call(dispatcher, {
            ...opts,
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
          }),
      };
    }
  }
  const undici = require('undici') as typeof import('undici');
  const dispatcher = proxy ? new undici.EnvHttpProxyAgent(timeouts) : new undici.Agent(timeouts);
  return {
    dispatcher,
    request: (url, opts) =>
      undici.request(url, {
        ...(opts as Parameters<typeof undici.request>[1]),
        dispatcher,
      }) as Promise<Dispatcher.ResponseData>,
  };
}

function loadLite(): { Agent: AgentClass; apiRequest: ApiRequest } | undefined {
  try {
    return {
      Agent: require('undici/lib/dispatcher/agent.js') as AgentClass,
      apiRequest: require('undici/lib/api/api-request.js') as ApiRequest,
    };
  } catch {
    return undefined;
  }
}
