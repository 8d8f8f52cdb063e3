import { ApiError, LocalInputError } from './errors.js';
import { asObject, pickNumber, pickString } from './fields.js';
import { validateUploadFile } from './file-checks.js';
import { buildMultipart } from './multipart.js';
import type { Transport } from './transport.js';
import { parseHttpUrl } from './urls.js';

export interface UploadProgress {
  sentBytes: number;
  totalBytes: number;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Local size limit (default 500 MiB). */
  maxBytes?: number;
  /** Per-attempt time limit for the whole upload (default 30 min). */
  timeoutMs?: number;
}

export interface UploadedFile {
  filename?: string;
  fileType?: string;
  url?: string;
  duration?: number;
  width?: number;
  height?: number;
  raw: unknown;
}

export interface UploadResult {
  files: UploadedFile[];
  sessionStateApplied: boolean;
  raw: unknown;
}

const UPLOAD_TIMEOUT_MS = 30 * 60_000;

export class Uploads {
  constructor(private readonly transport: Transport) {}

  /** Multipart `files` streamed from disk (memory does not grow with file size); replayable on retry. */
  async files(sessionId: string, paths: string[], options: UploadOptions = {}): Promise<UploadResult> {
    if (paths.length === 0) throw new LocalInputError('No files to upload', 'Pass at least one file path.');
    const checked = [];
    for (const path of paths) checked.push(await validateUploadFile(path, { maxBytes: options.maxBytes }));
    const multipart = buildMultipart(
      checked.map((f) => ({ field: 'files', path: f.path, size: f.size, contentType: f.contentType })),
    );
    const result = await this.transport.withUser((user) =>
      this.transport.json({
        method: 'POST',
        path: uploadPath(user, sessionId),
        contentType: multipart.contentType,
        body: () => {
          let sentBytes = 0;
          const report = options.onProgress;
          return {
            length: multipart.length,
            body: multipart.body((n) => {
              sentBytes += n;
              report?.({ sentBytes, totalBytes: multipart.length });
            }),
          };
        },
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? UPLOAD_TIMEOUT_MS,
      }),
    );
    return requireFiles(normalizeUpload(result.data), result.status);
  }

  /** Import media by URL: `{"urls":[…],"source_type":"url"}` (http/https only). */
  async urls(
    sessionId: string,
    urls: string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<UploadResult> {
    if (urls.length === 0) throw new LocalInputError('No URLs to import', 'Pass at least one http(s) URL.');
    for (const url of urls) checkHttpUrl(url);
    const result = await this.transport.withUser((user) =>
      this.transport.json({
        method: 'POST',
        path: uploadPath(user, sessionId),
        json: { urls, source_type: 'url' },
        signal: options.signal,
      }),
    );
    return requireFiles(normalizeUpload(result.data), result.status);
  }
}

function uploadPath(user: string, sessionId: string): string {
  return `/api/upload-video/nemo_agent/${user}/${encodeURIComponent(sessionId)}`;
}

export function checkHttpUrl(url: string): URL {
  return parseHttpUrl(
    url,
    'media URL',
    'Use a full http:// or https:// URL such as https://example.com/clip.mp4',
  );
}

/** Tolerant upload response (protocol §12.12). */
export function normalizeUpload(data: unknown): UploadResult {
  const obj = asObject(data);
  const list = Array.isArray(data)
    ? data
    : ([obj?.files, obj?.uploaded_files, obj?.uploadedFiles].find(Array.isArray) ??
      (obj && pickString(obj, 'url', 'cdn_url', 'file_url') ? [obj] : []));
  const files = (list as unknown[]).map(
    (item): UploadedFile => ({
      filename: pickString(item, 'filename', 'file_name', 'name'),
      fileType: pickString(item, 'file_type', 'fileType', 'type'),
      url: pickString(item, 'cdn_url', 'url', 'file_url', 'cdnUrl'),
      duration: pickNumber(item, 'duration'),
      width: pickNumber(item, 'width'),
      height: pickNumber(item, 'height'),
      raw: item,
    }),
  );
  return { files, sessionStateApplied: obj?.session_state_applied === true, raw: data };
}

/** Success needs at least one file back, or `session_state_applied` (§12.12). */
function requireFiles(result: UploadResult, status: number): UploadResult {
  if (result.files.length === 0 && !result.sessionStateApplied) {
    throw new ApiError('The upload response listed no files', { status, body: result.raw });
  }
  return result;
}
