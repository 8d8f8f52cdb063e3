import type { ErrorKind } from '../base/errors.js';

/** nemo's exit codes (`nemo help exit-codes`). Stable: scripts branch on them. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  transient: 3,
  auth: 4,
  jobFailed: 5,
  credits: 6,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The one table from an error's kind (src/base/errors.ts) to its exit code. */
export const EXIT_BY_KIND: Record<ErrorKind, ExitCode> = {
  usage: EXIT.usage,
  transient: EXIT.transient,
  auth: EXIT.auth,
  job_failed: EXIT.jobFailed,
  credits: EXIT.credits,
  interrupted: EXIT.interrupted,
  local_io: EXIT.error,
  error: EXIT.error,
};

export const EXIT_CODE_TABLE: readonly { code: ExitCode; meaning: string }[] = [
  { code: 0, meaning: 'ok' },
  {
    code: 1,
    meaning:
      'error (anything not listed below), including a local file that could not be written (disk full, permission)',
  },
  {
    code: 2,
    meaning: 'usage or bad input (unknown flag, missing file, existing output, bad value); nothing was sent',
  },
  {
    code: 3,
    meaning: 'transient: network error, 5xx or 429 after retries; retry later (the message says when)',
  },
  { code: 4, meaning: 'auth: no token, token rejected after a re-auth, or an insecure credentials file' },
  { code: 5, meaning: 'render or job failed on the server (after one retry with a new id)' },
  { code: 6, meaning: 'credits or plan: out of credits (2001) or export blocked on the free plan (402)' },
  {
    code: 130,
    meaning:
      'interrupted: Ctrl-C, SIGTERM, or the terminal closed (SIGHUP); a running render keeps going: nemo export --resume',
  },
];

export function exitCodesText(): string {
  return EXIT_CODE_TABLE.map((r) => `${String(r.code).padStart(5)}  ${r.meaning}`).join('\n');
}
