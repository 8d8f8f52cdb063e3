/**
 * Fault injection for `nemo serve`: one place that the router and handlers consult.
 *
 * A fault is `{name, ...params}`; `times` (default 1) is how many requests it hits, `-1` = every one.
 * `path` (rate-limit, html-503) is a path prefix; without it the fault hits any protocol path.
 *
 * | name | effect |
 * |---|---|
 * | `expire-token` `{times, after?:'upload'}` | next authenticated request → 401 1001 "Token expired", token revoked |
 * | `lose-session` `{times}` | next /run_sse → 404 1002, the session is deleted |
 * | `rate-limit` `{path, times, retryAfterS}` | 429 + Retry-After |
 * | `html-503` `{path, times}` | 503 with an HTML body |
 * | `sse-drop` `{times}` | /run_sse applies the edit after the tool call, then destroys the socket |
 * | `sse-garbage` `{times}` | non-JSON data lines, a comment and a 10 MB event inside a normal reply |
 * | `sse-error` `{times}` | /run_sse ends with a `data: {"error": …}` frame instead of the result |
 * | `slow-agent` `{ms, times}` | the agent sends only heartbeats for `ms` before it answers |
 * | `render-fail` `{times}` | the render job goes to `failed` with an error message |
 * | `slow-render` `{ms, times}` | renders take at least `ms` |
 * | `download-cut` `{times}` | a render download sends half its bytes (full Content-Length) then drops |
 * | `upload-reset` `{times}` | an upload's socket is destroyed part-way; nothing is stored |
 */
export const FAULT_NAMES = [
  'expire-token',
  'lose-session',
  'rate-limit',
  'html-503',
  'sse-drop',
  'sse-garbage',
  'sse-error',
  'slow-agent',
  'render-fail',
  'slow-render',
  'download-cut',
  'upload-reset',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface FaultSpec {
  name: FaultName;
  /** How many times the fault fires; default 1, -1 = persistent. */
  times?: number;
  /** Path prefix the fault applies to (rate-limit, html-503). */
  path?: string;
  /** rate-limit: the Retry-After value in seconds (default 1). */
  retryAfterS?: number;
  /** slow-render / slow-agent: minimum duration in ms. */
  ms?: number;
  /** expire-token: 'upload' arms the fault only after the next stored upload. */
  after?: 'upload';
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
  /** expire-token after:'upload': the upload count that must be exceeded before it fires. */
  uploadsAtAdd: number;
}

/** Throws a plain Error with a readable message when a spec is not valid. */
export function validateFaultSpec(value: unknown): FaultSpec {
  if (!value || typeof value !== 'object') throw new Error('a fault must be an object with a "name"');
  const spec = value as Record<string, unknown>;
  const name = spec.name;
  if (typeof name !== 'string' || !(FAULT_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fault "${String(name)}"; known faults: ${FAULT_NAMES.join(', ')}`);
  }
  const out: FaultSpec = { name: name as FaultName };
  for (const [key, v] of Object.entries(spec)) {
    if (key === 'name') continue;
    if (key === 'times' || key === 'retryAfterS' || key === 'ms') {
      const ok =
        typeof v === 'number' && Number.isInteger(v) && (key === 'times' ? v >= 1 || v === -1 : v >= 0);
      if (!ok) {
        const want = key === 'times' ? 'a whole number ≥ 1, or -1 (persistent)' : 'a whole number ≥ 0';
        throw new Error(`fault ${name}: ${key} must be ${want}`);
      }
      out[key] = v;
    } else if (key === 'path') {
      if (typeof v !== 'string' || !v.startsWith('/'))
        throw new Error(`fault ${name}: path must start with "/"`);
      out.path = v;
    } else if (key === 'after') {
      if (v !== 'upload') throw new Error(`fault ${name}: after must be "upload"`);
      out.after = 'upload';
    } else {
      throw new Error(`fault ${name}: unknown parameter "${key}" (times, path, retryAfterS, ms, after)`);
    }
  }
  return out;
}

/**
 * Parses the CLI form `name[:k=v,...]`, e.g. `rate-limit:path=/api/state,times=2,retryAfterS=1`.
 * Numeric values become numbers. Throws an Error naming the problem.
 */
export function parseFaultFlag(text: string): FaultSpec {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const spec: Record<string, unknown> = { name };
  if (colon >= 0) {
    for (const pair of text.slice(colon + 1).split(',')) {
      if (!pair.trim()) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`fault ${name}: expected key=value, got "${pair}"`);
      const key = pair.slice(0, eq).trim();
      const raw = pair.slice(eq + 1).trim();
      spec[key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    }
  }
  return validateFaultSpec(spec);
}

/** Run-time fault list. `add`/`clear`/`list` are for tests; `take` is what the server consults. */
export class FaultController {
  private faults: ActiveFault[] = [];

  constructor(
    initial: FaultSpec[] = [],
    private readonly uploadCount: () => number = () => 0,
  ) {
    for (const spec of initial) this.add(spec);
  }

  add(spec: FaultSpec): void {
    const valid = validateFaultSpec(spec);
    this.faults.push({ spec: valid, remaining: valid.times ?? 1, uploadsAtAdd: this.uploadCount() });
  }

  clear(): void {
    this.faults = [];
  }

  /** The faults that can still fire, with `times` showing what is left (-1 = persistent). */
  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec, times: f.remaining }));
  }

  /** Consumes one firing of the first matching fault, or returns undefined. */
  take(name: FaultName, path?: string): FaultSpec | undefined {
    const fault = this.faults.find(
      (f) =>
        f.spec.name === name &&
        f.remaining !== 0 &&
        (path === undefined || f.spec.path === undefined || path.startsWith(f.spec.path)) &&
        (f.spec.after !== 'upload' || this.uploadCount() > f.uploadsAtAdd),
    );
    if (!fault) return undefined;
    if (fault.remaining > 0) fault.remaining--;
    if (fault.remaining === 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.spec;
  }
}
