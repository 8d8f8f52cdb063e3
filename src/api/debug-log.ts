/** Debug logging with secrets redacted. The library only logs through a logger it was given. */

import { safeText } from '../base/redact.js';

export type Logger = (line: string) => void;

/**
 * Redact known tokens, `nmv_usr_…` tokens, bearer values, a URL's `user:password@` and its
 * signature/credential query parameters (sig, signature, X-Amz-Signature, X-Goog-Signature,
 * token, access_token, key, code …) anywhere in `text`; control characters are stripped too.
 */
export function redact(text: string): string {
  return safeText(text);
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
