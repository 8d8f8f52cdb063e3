/** Debug logging with secrets redacted. The library only logs through a logger it was given. */

export type Logger = (line: string) => void;

const TOKEN_RE = /nmv_usr_[A-Za-z0-9_-]+/g;
const BEARER_RE = /(Bearer\s+)[^\s"',]+/gi;
const QUERY_SECRET_RE = /([?&](?:token|access_token|api_key|key|nemo_token|ct)=)[^&#\s]+/gi;

/** Redact `nmv_usr_…` tokens, bearer values and secret query parameters anywhere in `text`. */
export function redact(text: string): string {
  return text.replace(BEARER_RE, '$1***').replace(TOKEN_RE, 'nmv_usr_***').replace(QUERY_SECRET_RE, '$1***');
}

/** A logger that redacts every line before passing it on. */
export function redactingLogger(logger: Logger | undefined): Logger | undefined {
  return logger ? (line: string) => logger(redact(line)) : undefined;
}

export interface RequestLogFields {
  method: string;
  url: string;
  status?: number;
  ms: number;
  retry: number;
  error?: string;
}

export function formatRequestLine(f: RequestLogFields): string {
  const outcome = f.status !== undefined ? String(f.status) : `ERR ${f.error ?? ''}`.trim();
  return `nemo:api ${f.method} ${f.url} ${outcome} ${Math.round(f.ms)}ms retry=${f.retry}`;
}
