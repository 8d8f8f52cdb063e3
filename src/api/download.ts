import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Dispatcher } from 'undici';
import {
  createExclusive,
  LocalIoError,
  localIoError,
  publish,
  removeQuietly,
  syncFd,
} from '../base/atomic-output.js';
import { decodeEnvelope } from './envelope.js';
import { errorFromFailure } from './error-map.js';
import {
  AbortError,
  ApiError,
  ConnectionError,
  LocalInputError,
  type NemoError,
  ServerError,
  TimeoutError,
} from './errors.js';
import { asObject, pickString } from './fields.js';
import { sniffMediaType } from './file-checks.js';
import { header, isNetworkFailure, Retries, retryAfterMs, sleep } from './retry.js';
import { requestIdOf, type Transport, toNemoError } from './transport.js';
import { parseHttpUrl } from './urls.js';

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes?: number;
  /** Set while no byte has arrived for a while: how long, in ms. */
  stalledMs?: number;
}

export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Overwrite an existing output file. */
  force?: boolean;
  /** Resumes after a cut or a stall (default 5). */
  maxResumes?: number;
  /**
   * What identifies the download across runs (the render id), so a temp file left by a killed run is
   * resumed only for the same render. Default: the URL without its query.
   */
  resumeKey?: string;
  /** Overall deadline in ms. Default: max(120 s, size at 256 KiB/s) once the size is known. */
  timeoutMs?: number;
  /** No byte for this long (ms) abandons the attempt, which is resumed (default 30 s). */
  stallTimeoutMs?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  url: string;
  resumes: number;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const MIN_DOWNLOAD_TIMEOUT_MS = 120_000;
/** The slowest rate the default deadline allows for (256 KiB/s). */
export const MIN_DOWNLOAD_RATE = 256 * 1024;
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** After this long without a byte, progress reports the stall. */
const STALL_REPORT_MS = 2_000;
const TEMP_TAG = 'nemo-dl';

/** The default overall deadline for `size` bytes (unknown: the minimum). */
export function defaultDownloadTimeoutMs(size?: number): number {
  return Math.max(MIN_DOWNLOAD_TIMEOUT_MS, size ? Math.ceil((size / MIN_DOWNLOAD_RATE) * 1000) : 0);
}

/** 0.3, 12, 120: seconds for messages (one decimal below 10 s). */
function seconds(ms: number): string {
  return ms < 10_000 ? String(Math.round(ms / 100) / 10) : String(Math.round(ms / 1000));
}

/** What a resumable temp file records next to itself (`<temp>.json`). */
interface Sidecar {
  v: 1;
  key: string;
  size: number;
  /** A strong ETag or a Last-Modified date, sent as If-Range. */
  validator: string;
}

interface TempFile {
  path: string;
  fd: number;
  /** Bytes already in the file (resumed from a killed run). */
  have: number;
  meta?: Sidecar;
}

/**
 * Download to a temp file next to `outPath`, unique to this process (`.<name>.nemo-dl-<pid>-<rand>.part`,
 * created exclusively, 0644), resuming with `Range` after a cut or stall, then publish it: fsync,
 * then a link that never replaces a file that appeared meanwhile (OutputExistsError) unless `force`.
 *
 * - A temp left by a killed run of the same render (sidecar: render key, size, ETag/Last-Modified) is
 *   claimed and resumed with `Range` + `If-Range`; anything else starts from byte 0.
 * - Local write errors (disk full, permission) are LocalIoError: not retried, the body is destroyed.
 * - A web page or JSON without a URL is not saved as the video (Content-Type, then magic bytes).
 * - The bearer token goes only to the API's origin, never on a redirect chain that passed another host.
 * - An overall deadline and a stall timeout bound the transfer.
 */
export async function download(
  transport: Transport,
  urlOrId: string,
  outPath: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  let url = startUrl(transport, urlOrId);
  /** The URLs requested before `url` in its chain (JSON pointers included): the token rule needs them. */
  let prior: URL[] = [];
  if (!options.force && (await exists(outPath))) {
    throw new LocalInputError(
      `Output file already exists: ${outPath}`,
      'Overwriting it needs the force option; or choose another output path.',
      { code: 'output_exists' },
    );
  }
  const key = options.resumeKey ?? keyOf(url);
  const maxResumes = options.maxResumes ?? 5;
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const file = openTemp(outPath, key);
  const deadline = new Deadline(options.timeoutMs);
  let have = file.have;
  let total: number | undefined = file.meta?.size;
  let validator: string | undefined = file.meta?.validator;
  let type = '';
  let resumes = 0;
  // failed requests over the whole download: no answer (the deadline aside), or a 5xx
  const failures = new Retries({
    retries: transport.maxRetries,
    retryable: (e) => e instanceof ServerError || (isNetworkFailure(e) && e.code !== 'download_timeout'),
  });
  let followedJson = false;
  let lastCut: NemoError | undefined;
  const progress = (p: DownloadProgress): void => options.onProgress?.(p);
  try {
    for (;;) {
      const attempt = new Attempt(options.signal, deadline, stallMs, () => ({ have, total }), progress);
      let res: Dispatcher.ResponseData | undefined;
      try {
        let finalUrl: URL;
        let hops: URL[];
        const headers: Record<string, string> = {};
        if (have > 0) {
          headers.range = `bytes=${have}-`;
          if (validator) headers['if-range'] = validator;
        }
        try {
          ({ res, url: finalUrl, hops } = await follow(transport, url, prior, headers, attempt.signal));
        } catch (err) {
          await attempt.pause(failures.delayAfter(attempt.explain(err)));
          continue;
        }
        const status = res.statusCode;
        type = header(res.headers, 'content-type') ?? '';
        if (status >= 300) {
          const error = await failureOf(transport, finalUrl, res);
          if (status === 416 && total !== undefined && have === total) break;
          if (status === 416 && have > 0) {
            // the range is past the end of what the server has now: not the same file, start over
            have = 0;
            validator = undefined;
            truncate(file, outPath);
            continue;
          }
          await attempt.pause(failures.delayAfter(error, retryAfterMs(res.headers)));
          continue;
        }
        if (/json/i.test(type)) {
          const next = outputUrlOf(await res.body.text());
          if (!next || followedJson) {
            throw new ApiError(
              `The download endpoint returned JSON without an output URL (${shown(finalUrl)})`,
              { status },
            );
          }
          followedJson = true;
          prior = [...hops, finalUrl];
          url = checkedUrl(new URL(next, finalUrl).href);
          continue;
        }
        if (isPageType(type)) {
          throw new ApiError(
            `The download URL answered with ${type.split(';')[0]}, not a video (${shown(finalUrl)}); nothing was saved`,
            {
              status,
              hint: 'The render URL served a web page (an error or login page?); try the export again later.',
            },
          );
        }
        let append = false;
        if (status === 206) {
          const range = parseContentRange(header(res.headers, 'content-range'));
          if (range && range.start === have && (total === undefined || range.total === total)) {
            append = true;
            total = range.total ?? total;
          }
        }
        if (!append) {
          const length = Number(header(res.headers, 'content-length'));
          total = status === 206 || !Number.isFinite(length) ? undefined : length;
          validator = validatorOf(res.headers);
          if (have > 0) {
            have = 0;
            truncate(file, outPath);
          }
          if (status === 206) {
            // A range we did not ask for: start over without Range.
            validator = undefined;
            continue;
          }
          if (total !== undefined && validator) writeSidecar(file, { v: 1, key, size: total, validator });
        }
        deadline.sized(total);
        const body = res.body;
        res = undefined;
        try {
          have = await writeBody(body, file, outPath, have, attempt, (received) =>
            progress({ receivedBytes: received, totalBytes: total }),
          );
        } catch (err) {
          if (err instanceof LocalIoError) throw err;
          const error = attempt.explain(err);
          if (!isNetworkFailure(error) || error.code === 'download_timeout') throw error;
          have = attempt.written;
          lastCut = error;
          if (++resumes > maxResumes) throw error;
          continue;
        }
        if (total !== undefined && have < total) {
          if (++resumes > maxResumes) {
            throw new ConnectionError(`Download cut at ${have} of ${total} bytes`, {
              hint: 'Try the download again.',
              cause: lastCut,
            });
          }
          continue;
        }
        if (total !== undefined && have > total) {
          throw new ConnectionError(`Download larger than announced (${have} > ${total} bytes)`);
        }
        break;
      } finally {
        attempt.end();
        // never leave a response unread: an unconsumed body keeps its socket (and the process) alive
        if (res) drop(res.body);
      }
    }
    checkIsMedia(file, have, type, url);
    syncFd(file.fd, outPath);
    closeFd(file);
    publish(file.path, outPath, { replace: options.force, synced: true });
    removeQuietly(sidecarOf(file.path));
    removeStaleTemps(outPath);
    return { path: outPath, bytes: have, url: url.href, resumes };
  } catch (err) {
    closeFd(file);
    removeQuietly(file.path);
    removeQuietly(sidecarOf(file.path));
    throw err;
  } finally {
    deadline.clear();
  }
}

/** The overall deadline: the option, else the minimum until the size is known, then scaled by it. */
class Deadline {
  readonly controller = new AbortController();
  private readonly started = Date.now();
  private timer?: NodeJS.Timeout;
  private limitMs: number;
  error?: TimeoutError;

  constructor(private readonly fixedMs?: number) {
    this.limitMs = fixedMs ?? defaultDownloadTimeoutMs();
    this.arm();
  }

  sized(total: number | undefined): void {
    if (this.fixedMs !== undefined || total === undefined) return;
    const next = defaultDownloadTimeoutMs(total);
    if (next === this.limitMs) return;
    this.limitMs = next;
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.error = new TimeoutError(`Download did not finish within ${seconds(this.limitMs)} s`, {
          code: 'download_timeout',
          hint: 'The server sends too slowly; try again later, or allow the download more time.',
        });
        this.controller.abort(this.error);
      },
      Math.max(0, this.started + this.limitMs - Date.now()),
    );
  }
}

/** One request of a download: aborted by the caller, the deadline, or a stall (no byte for `stallMs`). */
class Attempt {
  private readonly controller = new AbortController();
  private readonly ticker: NodeJS.Timeout;
  private last = Date.now();
  private stallError?: TimeoutError;
  private readonly unlink: () => void;
  /** Bytes on disk (what a resume continues from). */
  written: number;

  constructor(
    private readonly user: AbortSignal | undefined,
    private readonly deadline: Deadline,
    stallMs: number,
    state: () => { have: number; total?: number },
    report: (p: DownloadProgress) => void,
  ) {
    this.written = state().have;
    const abort = (): void => this.controller.abort();
    const signals = [user, deadline.controller.signal].filter((s): s is AbortSignal => !!s);
    for (const s of signals) {
      if (s.aborted) abort();
      else s.addEventListener('abort', abort, { once: true });
    }
    this.unlink = () => {
      for (const s of signals) s.removeEventListener('abort', abort);
    };
    this.ticker = setInterval(
      () => {
        const idle = Date.now() - this.last;
        const { total } = state();
        const have = this.written;
        if (idle >= stallMs) {
          const at = total ? `${have} of ${total}` : `${have}`;
          this.stallError = new TimeoutError(
            `Download stalled: no data for ${seconds(idle)} s (at ${at} bytes)`,
            { code: 'download_stalled', hint: 'The server stopped sending; try again later.' },
          );
          this.controller.abort(this.stallError);
        } else if (idle >= Math.min(STALL_REPORT_MS, stallMs / 2)) {
          report({ receivedBytes: have, totalBytes: total, stalledMs: idle });
        }
      },
      Math.max(10, Math.min(1000, stallMs / 4)),
    );
    this.ticker.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A byte arrived. */
  alive(): void {
    this.last = Date.now();
  }

  /** Waits `ms` before the next request; the caller's abort, the deadline or a stall ends the wait. */
  async pause(ms: number): Promise<void> {
    await sleep(ms, this.signal).catch((e) => {
      throw this.explain(e);
    });
  }

  /** The error that explains `err`: the caller's abort, the deadline, a stall, or `err` as a typed error. */
  explain(err: unknown): NemoError {
    if (this.user?.aborted) return new AbortError('Request was aborted.', { cause: err });
    if (this.deadline.error) return this.deadline.error;
    if (this.stallError) return this.stallError;
    return toNemoError(err, undefined, false);
  }

  end(): void {
    clearInterval(this.ticker);
    this.unlink();
  }
}

/**
 * Writes the body into the temp file from byte `start` on, returning the bytes now in the file. Each
 * chunk is written synchronously as it arrives: for a 500 MB loopback download that took 0.87 s
 * against 1.03 s through `pipeline(body, createWriteStream())` (bare scripts, medians of 3). Bytes are
 * counted only once written, so a resume continues from what is on disk. A write error destroys the
 * body at once (no retry) and is a LocalIoError naming the output.
 */
async function writeBody(
  body: Dispatcher.ResponseData['body'],
  file: TempFile,
  outPath: string,
  start: number,
  attempt: Attempt,
  onProgress: (received: number) => void,
): Promise<number> {
  let have = start;
  attempt.written = start;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      attempt.alive();
      try {
        for (let off = 0; off < chunk.length; )
          off += writeSync(file.fd, chunk, off, chunk.length - off, have + off);
      } catch (err) {
        throw localIoError(err, outPath);
      }
      have += chunk.length;
      attempt.written = have;
      onProgress(have);
    }
  } finally {
    drop(body);
  }
  return have;
}

/** Destroys a response body that is not (or no longer) read; undici then reports an abort nobody needs. */
function drop(body: Dispatcher.ResponseData['body']): void {
  if (body.destroyed) return;
  body.on('error', () => {});
  body.destroy();
}

/** Claims a temp left by a dead run of the same download, else creates a fresh one exclusively. */
function openTemp(outPath: string, key: string): TempFile {
  const claimed = claimStale(outPath, key);
  if (claimed) return claimed;
  const path = tempName(outPath);
  try {
    return { path, fd: createExclusive(path), have: 0 };
  } catch (err) {
    throw localIoError((err as LocalIoError).cause ?? err, outPath);
  }
}

function tempName(outPath: string): string {
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(outPath), `.${basename(outPath)}.${TEMP_TAG}-${unique}.part`);
}

function sidecarOf(tempPath: string): string {
  return tempPath.replace(/\.part$/, '.json');
}

/** Temps of downloads to `outPath` whose process is gone: `[name, pid]`. */
function staleTemps(outPath: string): string[] {
  const prefix = `.${basename(outPath)}.${TEMP_TAG}-`;
  let names: string[];
  try {
    names = readdirSync(dirname(outPath));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && n.endsWith('.part'))
    .filter((n) => !processAlive(Number(/-(\d+)-[0-9a-f]+\.part$/.exec(n)?.[1])))
    .map((n) => join(dirname(outPath), n));
}

function claimStale(outPath: string, key: string): TempFile | undefined {
  for (const stale of staleTemps(outPath)) {
    const meta = readSidecar(sidecarOf(stale));
    if (!meta || meta.key !== key) continue;
    const path = tempName(outPath);
    try {
      // atomic: of two runs claiming the same temp, one rename fails (ENOENT) and that one starts afresh
      renameSync(stale, path);
    } catch {
      continue;
    }
    removeQuietly(sidecarOf(stale));
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch {
      removeQuietly(path);
      continue;
    }
    const have = fstatSync(fd).size;
    const file: TempFile = { path, fd, have, meta };
    if (have > meta.size) {
      ftruncateSync(fd, 0);
      file.have = 0;
      file.meta = undefined;
    } else writeSidecar(file, meta);
    return file;
  }
  return undefined;
}

/** After a publish, temps of dead runs to the same output are of no more use. */
function removeStaleTemps(outPath: string): void {
  for (const stale of staleTemps(outPath)) {
    removeQuietly(stale);
    removeQuietly(sidecarOf(stale));
  }
}

function readSidecar(path: string): Sidecar | undefined {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Sidecar>;
    if (
      o.v === 1 &&
      typeof o.key === 'string' &&
      typeof o.size === 'number' &&
      typeof o.validator === 'string'
    )
      return o as Sidecar;
  } catch {
    // missing or torn: not resumable
  }
  return undefined;
}

/** Best effort: without a sidecar a killed run is simply not resumed. */
function writeSidecar(file: TempFile, meta: Sidecar): void {
  try {
    writeFileSync(sidecarOf(file.path), JSON.stringify(meta), { mode: 0o644 });
  } catch {
    // the data file reports any real disk problem
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function truncate(file: TempFile, outPath: string): void {
  try {
    ftruncateSync(file.fd, 0);
  } catch (err) {
    throw localIoError(err, outPath);
  }
  removeQuietly(sidecarOf(file.path));
}

function closeFd(file: TempFile): void {
  if (file.fd < 0) return;
  try {
    closeSync(file.fd);
  } catch {
    // closing after an error: the first error is the one reported
  }
  file.fd = -1;
}

/** The finished file must start like a media file (an HTML page served as video/mp4 is not one). */
function checkIsMedia(file: TempFile, have: number, type: string, url: URL): void {
  const head = Buffer.alloc(16);
  let got = 0;
  try {
    got = readSync(file.fd, head, 0, 16, 0);
  } catch (err) {
    throw localIoError(err, file.path, 'read');
  }
  if (got > 0 && sniffMediaType(head.subarray(0, got))) return;
  const start = head
    .subarray(0, Math.min(got, 12))
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  throw new ApiError(
    `The download from ${shown(url)} is not a video (${have} bytes${type ? ` of ${type.split(';')[0]}` : ''}${got ? `, starting "${start}"` : ''}); nothing was saved`,
    { status: 200, hint: 'The render URL did not serve the video; try the export again later.' },
  );
}

/** A URL as shown in messages: no query (it may hold a signature or token). */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Text, HTML and XML answers are pages or errors, never the video. */
function isPageType(type: string): boolean {
  return /^\s*text\//i.test(type) || /html|xml/i.test(type);
}

/** A strong ETag, else Last-Modified: what If-Range may carry. */
function validatorOf(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const etag = header(headers, 'etag');
  if (etag && !/^W\//.test(etag)) return etag;
  return header(headers, 'last-modified') ?? undefined;
}

function keyOf(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function startUrl(transport: Transport, urlOrId: string): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(urlOrId)) return checkedUrl(urlOrId);
  if (!/^[\w.-]+$/.test(urlOrId)) {
    throw new LocalInputError(
      `Not a URL or render id: ${urlOrId}`,
      'Pass an http(s) URL or a render id such as render_…',
    );
  }
  return new URL(transport.url(`/api/render/proxy/${encodeURIComponent(urlOrId)}/download`));
}

function checkedUrl(raw: string): URL {
  return parseHttpUrl(raw, 'download URL', 'Only http:// and https:// URLs can be downloaded.');
}

/**
 * Follows redirects by hand (max 5). `prior` are the URLs requested before `start` in its chain; the
 * transport sends the token only when every one of them, and the target, is the API's origin.
 */
async function follow(
  transport: Transport,
  start: URL,
  prior: readonly URL[],
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ res: Dispatcher.ResponseData; url: URL; hops: URL[] }> {
  let url = start;
  const hops = [...prior];
  for (let hop = 0; ; hop++) {
    const res = await transport.raw(url, { headers, signal, hops });
    const location = header(res.headers, 'location');
    if (!REDIRECTS.has(res.statusCode) || !location) return { res, url, hops };
    await res.body.dump();
    if (hop >= MAX_REDIRECTS)
      throw new ApiError(`Too many redirects downloading ${shown(start)}`, { status: res.statusCode });
    hops.push(url);
    url = checkedUrl(new URL(location, url).href);
  }
}

async function failureOf(transport: Transport, url: URL, res: Dispatcher.ResponseData): Promise<NemoError> {
  const text = await res.body.text().catch(() => '');
  const decoded = decodeEnvelope(res.statusCode, header(res.headers, 'content-type'), text);
  if (decoded.ok)
    return new ApiError(`Download failed with HTTP ${res.statusCode}`, { status: res.statusCode });
  return errorFromFailure({
    status: res.statusCode,
    code: decoded.code,
    message: decoded.message,
    body: decoded.body,
    path: transport.isApiOrigin(url) ? url.pathname : shown(url),
    requestId: requestIdOf(res.headers),
    webURL: transport.webURL,
  });
}

function outputUrlOf(text: string): string | undefined {
  const decoded = decodeEnvelope(200, 'application/json', text);
  if (!decoded.ok) return undefined;
  for (const layer of [decoded.data, decoded.body]) {
    const o = asObject(layer);
    const found =
      pickString(o?.output, 'url') ?? pickString(o, 'outputUrl', 'output_url', 'url', 'download_url');
    if (found) return found;
  }
  return undefined;
}

function parseContentRange(value: string | undefined): { start: number; total?: number } | undefined {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
