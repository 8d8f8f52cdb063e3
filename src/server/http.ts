import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error that becomes one HTTP response: status, JSON body, extra headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? body.error ?? body.detail ?? status));
  }
}

/** The protocol's `{code, message}` error envelope (§3.1, §7). */
export function envelopeError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): HttpError {
  return new HttpError(status, { code, message }, headers);
}

/** The render proxy's `{success:false, error}` envelope (§3.2). */
export function renderError(status: number, error: string): HttpError {
  return new HttpError(status, { success: false, error });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `{"code":0,"data":…}` */
export function sendData(res: ServerResponse, data: unknown): void {
  sendJson(res, 200, { code: 0, data });
}

export function sendHttpError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, err.body, err.headers);
}

const tooLarge = (max: number): HttpError =>
  envelopeError(413, 413, `Request body too large (limit ${max} bytes)`);

/**
 * Reads a JSON body of at most `maxBytes`. An empty body is `undefined`. A declared Content-Length over
 * the cap is refused before reading; a body that grows past it stops being read.
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw envelopeError(400, 400, 'Request body is not valid JSON');
  }
}

/** A JSON object body (or `{}` when empty); anything else is a 400. */
export async function readJsonObject(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const body = await readJson(req, maxBytes);
  if (body === undefined) return {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw envelopeError(400, 400, 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** True for 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}
