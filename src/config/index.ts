export type { StoredCredentials } from '../api/auth.js';
export { ensurePrivateDir } from './conf-file.js';
export { checkPrivateFile, ProfileCredentials, tokenSource } from './credentials.js';
export { ConfigError } from './errors.js';
export { withLock } from './lock.js';
export { configDir, profileName } from './paths.js';
export * from './settings.js';
export { ConfigStore, type SessionRecord } from './store.js';
