export { ensurePrivateDir } from './conf-file.js';
export { checkPrivateFile, ProfileCredentials, type StoredCredentials, tokenSource } from './credentials.js';
export { ConfigError } from './errors.js';
export { withLock } from './lock.js';
export { configDir, profileName } from './paths.js';
export * from './settings.js';
export { ConfigStore, type SessionRecord } from './store.js';
