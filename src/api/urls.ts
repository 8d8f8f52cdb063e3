import { LocalInputError } from './errors.js';

/** Parse `raw` as an http(s) URL, or throw a LocalInputError that says `what` it was and how to fix it. */
export function parseHttpUrl(raw: string, what: string, fix: string, code?: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LocalInputError(`Invalid ${what}: ${raw}`, fix, { code });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LocalInputError(`Unsupported scheme "${url.protocol}" in ${what}: ${raw}`, fix, { code });
  }
  return url;
}
