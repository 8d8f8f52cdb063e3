import { STATUS_CODES } from 'node:http';
import { asObject } from './fields.js';

/**
 * Tolerant response decoding (protocol §3, §12.1): `{code,data,message|msg|detail|error}`,
 * `{success,data,error}`, or a bare object. Body codes can arrive with HTTP 200.
 */

export type Decoded =
  | { ok: true; data: unknown; body: unknown }
  | { ok: false; status: number; code?: number | string; message: string; body?: unknown };

export function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text ? `HTTP ${status} ${text}` : `HTTP ${status}`;
}

/** Decode a whole response body. Never throws. */
export function decodeEnvelope(status: number, contentType: string | undefined, text: string): Decoded {
  const httpOk = status >= 200 && status < 300;
  const parsed = parseJson(text);
  if (parsed === undefined) {
    if (httpOk && text.trim() === '') return { ok: true, data: undefined, body: undefined };
    const kind = /html/i.test(contentType ?? '') || /^\s*</.test(text) ? 'HTML body' : 'non-JSON body';
    return { ok: false, status, message: `${statusLine(status)} (${kind})` };
  }
  if (!httpOk) {
    const fields = describeError(parsed);
    return {
      ok: false,
      status,
      code: fields.code ?? status,
      message: fields.message ?? statusLine(status),
      body: parsed,
    };
  }
  const obj = asObject(parsed);
  // {code, data?}: the code is a number or a string
  if (obj && (typeof obj.code === 'number' || typeof obj.code === 'string')) {
    const code = Number(obj.code);
    if (code === 0 || code === 200) return { ok: true, data: obj.data ?? parsed, body: parsed };
    const fields = describeError(parsed);
    return {
      ok: false,
      status,
      code: Number.isFinite(code) ? code : obj.code,
      message: fields.message ?? `Server error code ${obj.code}`,
      body: parsed,
    };
  }
  // {success, data?}
  if (obj && 'success' in obj) {
    if (obj.success !== false) return { ok: true, data: obj.data ?? parsed, body: parsed };
    const fields = describeError(parsed);
    return {
      ok: false,
      status,
      code: fields.code,
      message: fields.message ?? 'Request failed',
      body: parsed,
    };
  }
  return { ok: true, data: parsed, body: parsed };
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '' || !/^[[{"\d-tfn]/.test(trimmed)) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

function describeError(body: unknown): { code?: number | string; message?: string } {
  const f = asObject(body);
  if (!f) return {};
  const rawCode = f.code ?? f.error_code;
  const code = typeof rawCode === 'number' || typeof rawCode === 'string' ? rawCode : undefined;
  const numeric = typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : code;
  const message = [f.message, f.msg, f.detail, f.error, f.errorMessage].map(messageOf).find((m) => m);
  return { code: numeric, message };
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (value && typeof value === 'object') {
    const inner = (value as Record<string, unknown>).message ?? (value as Record<string, unknown>).msg;
    if (typeof inner === 'string') return inner;
    if (Array.isArray(value)) return value.map(messageOf).filter(Boolean).join('; ') || undefined;
  }
  return undefined;
}
