import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where nemo keeps its configuration: `NEMO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/nemo`, else
 * `~/.config/nemo` (`%APPDATA%\nemo` on Windows).
 */
export function configDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.NEMO_CONFIG_DIR) return env.NEMO_CONFIG_DIR;
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'nemo');
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'nemo');
  return join(homedir(), '.config', 'nemo');
}

/** The profile: `--profile`, else `NEMO_PROFILE`, else `default`. */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.NEMO_PROFILE ?? 'default';
  return name === '' ? 'default' : name;
}

/**
 * Where nemo keeps caches it can always rebuild (what this machine's ffmpeg can do): `NEMO_CACHE_DIR`,
 * else `$XDG_CACHE_HOME/nemo`, else `~/.cache/nemo` (`%LOCALAPPDATA%\nemo\cache` on Windows).
 */
export function cacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.NEMO_CACHE_DIR) return env.NEMO_CACHE_DIR;
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'nemo', 'cache');
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'nemo');
  return join(homedir(), '.cache', 'nemo');
}
