import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random characters from A–Z, a–z, 0–9. */
export function alnum(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

export const newToken = (): string => `nmv_usr_${randomBytes(24).toString('base64url')}`;
export const newUserId = (): string => `anon_${randomBytes(8).toString('hex')}`;
export const newClaimToken = (): string => `clm_${randomBytes(18).toString('base64url')}`;
export const newTaskId = (): string => `task_${randomBytes(8).toString('hex')}`;
export const newInvocationId = (): string => `e-${randomUUID()}`;
export const newRequestId = (): string => `req_${randomBytes(8).toString('hex')}`;
/** A stored file's name on disk: never derived from what the client sent. */
export const newStoredName = (ext: string): string => `${randomBytes(12).toString('hex')}.${ext}`;

/** A 19-digit numeric string, like the vendor's snowflake session ids. */
export function newSessionId(): string {
  return (
    String(randomInt(1, 10)) +
    String(randomInt(0, 1e9)).padStart(9, '0') +
    String(randomInt(0, 1e9)).padStart(9, '0')
  );
}
