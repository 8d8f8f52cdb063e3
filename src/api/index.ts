export type {
  AnonymousToken,
  ClaimLink,
  CredentialStore,
  StoredCredentials,
  TokenSourceKind,
} from './auth.js';
export { Auth } from './auth.js';
export { Chat, type ChatOptions, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TOTAL_TIMEOUT_MS } from './chat.js';
export { NemoClient, type NemoClientOptions } from './client.js';
export { type CreditBalance, Credits, normalizeCredits } from './credits.js';
export { type Logger, redact } from './debug-log.js';
export { type DownloadOptions, type DownloadProgress, type DownloadResult, download } from './download.js';
export { decodeEnvelope } from './envelope.js';
export * from './errors.js';
export {
  DEFAULT_MAX_UPLOAD_BYTES,
  UPLOAD_CONTENT_TYPES,
  type UploadFileInfo,
  validateUploadFile,
} from './file-checks.js';
export { baseName, buildMultipart, contentDisposition } from './multipart.js';
export {
  DEFAULT_RENDER_OUTPUT,
  downloadPath,
  newRenderId,
  Render,
  type RenderOutput,
  type RenderWithRetryInput,
  renderWithRetry,
  type SubmitRenderInput,
  type WaitOptions,
} from './render.js';
export { normalizeRenderStatus, type RenderState, type RenderStatus } from './render-status.js';
export { DEFAULT_MAX_RETRIES, retryAfterMs, retryDelayMs, shouldRetryStatus } from './retry.js';
export { type CreateSessionOptions, type Session, Sessions } from './sessions.js';
export type { ChatEvent } from './sse-events.js';
export { type SessionState, type SessionStateData, State } from './state.js';
export { DEFAULT_BASE_URL, DEFAULT_WEB_URL, resolveBaseURL, Transport } from './transport.js';
export {
  checkHttpUrl,
  normalizeUpload,
  type UploadedFile,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
  Uploads,
} from './upload.js';
