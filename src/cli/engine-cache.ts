import path from 'node:path';
import { cacheDir } from '../config/paths.js';
import { setCapabilityStore } from '../engine/ffmpeg.js';

/**
 * The on-device engine keeps what this machine's ffmpeg can do in nemo's cache dir (by binary: a new or
 * replaced ffmpeg is probed again): every local command after the first skips five ffmpeg runs.
 */
export function useEngineCache(env: NodeJS.ProcessEnv): void {
  setCapabilityStore(path.join(cacheDir(env), 'ffmpeg-capabilities.json'));
}
