import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FfmpegNotFoundError } from './errors.js';
import { runProcess } from './process.js';
import type { Capabilities, FfmpegPaths } from './types.js';

type Tool = 'ffmpeg' | 'ffprobe';

const ENV_VAR: Record<Tool, string> = { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' };
const NPM_PACKAGE: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(tool: Tool, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The binary shipped inside the npm package. npm 11 may skip the package's `postinstall: chmod u+x`,
 * so the binary can arrive without its execute bit: add it (u+x, g+x, o+x as readable) when we own it.
 */
function fromNpm(tool: Tool): string | undefined {
  let file: string;
  try {
    const require = createRequire(import.meta.url);
    file = (require(NPM_PACKAGE[tool]) as { path: string }).path;
  } catch {
    return undefined;
  }
  if (!isExecutable(file)) {
    try {
      chmodSync(file, statSync(file).mode | 0o111);
    } catch {
      return undefined;
    }
  }
  return isExecutable(file) ? file : undefined;
}

function locate(tool: Tool, env: NodeJS.ProcessEnv): { file: string; source: FfmpegPaths['source'] } {
  const explicit = env[ENV_VAR[tool]];
  if (explicit) {
    if (isExecutable(explicit)) return { file: explicit, source: 'env' };
    throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]}=${explicit} (missing or not executable)`]);
  }
  const fromPath = onPath(tool, env.PATH);
  if (fromPath) return { file: fromPath, source: 'path' };
  const npm = fromNpm(tool);
  if (npm) return { file: npm, source: 'npm' };
  throw new FfmpegNotFoundError(tool, [`$${ENV_VAR[tool]} (unset)`, 'PATH', `npm ${NPM_PACKAGE[tool]}`]);
}

/**
 * Finds ffmpeg and ffprobe: FFMPEG_PATH/FFPROBE_PATH → PATH → the npm packages
 * `@ffmpeg-installer/ffmpeg`/`@ffprobe-installer/ffprobe` → `FfmpegNotFoundError` with the fix.
 * An env variable that points to a missing file is an error (never silently skipped).
 */
export async function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegPaths> {
  const ffmpeg = locate('ffmpeg', env);
  const ffprobe = locate('ffprobe', env);
  return { ffmpeg: ffmpeg.file, ffprobe: ffprobe.file, source: ffmpeg.source };
}

const capabilityCache = new Map<string, Promise<Capabilities>>();

/** Names in the first column after the flags column of `-filters` / `-encoders` listings. */
function listedNames(listing: string, flagsPattern: RegExp): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = flagsPattern.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

async function probeCapabilities(ffmpegPath: string): Promise<Capabilities> {
  const run = (args: string[]) =>
    runProcess(ffmpegPath, ['-hide_banner', ...args], { purpose: 'capabilities' });
  const [filters, encoders, version, amix, astats] = await Promise.all([
    run(['-filters']),
    run(['-encoders']),
    run(['-version']),
    run(['-h', 'filter=amix']),
    run(['-h', 'filter=astats']),
  ]);
  return {
    ffmpegPath,
    // " T.. acrossfade        AA->A      Cross fade two input audio streams."
    filters: listedNames(filters.stdout, /^\s*[TSC.|]{2,3}\s+(\w+)\s+\S+->\S+/),
    // " V....D libx264              libx264 H.264 ..."
    encoders: listedNames(encoders.stdout, /^\s*[VAS][A-Z.]{5}\s+(\S+)\s/),
    version: /ffmpeg version (\S+)/.exec(version.stdout)?.[1] ?? 'unknown',
    amixNormalize: /\bnormalize\b/.test(amix.stdout),
    astatsMeasure: /\bmeasure_overall\b/.test(astats.stdout),
  };
}

/** The capabilities of `ffmpegPath` (default: the one `findFfmpeg` finds), probed once per process. */
export async function getCapabilities(ffmpegPath?: string): Promise<Capabilities> {
  const file = ffmpegPath ?? (await findFfmpeg()).ffmpeg;
  let cached = capabilityCache.get(file);
  if (!cached) {
    cached = probeCapabilities(file);
    capabilityCache.set(file, cached);
    cached.catch(() => capabilityCache.delete(file));
  }
  return cached;
}
