import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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

let storeFile: string | undefined;

/**
 * Keep probed capabilities in `file` (JSON, by binary: its path, size, mtime and inode), so a process that
 * starts later skips the five probe runs (about 1 s of two cores) while the binary is the same. The CLI
 * sets its cache dir's file; a library user who sets nothing gets the in-process cache alone.
 */
export function setCapabilityStore(file: string | undefined): void {
  storeFile = file;
}

interface StoredCapabilities {
  stamp: string;
  filters: string[];
  encoders: string[];
  version: string;
  amixNormalize: boolean;
  astatsMeasure?: boolean;
}

const stampOf = (file: string): string => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
};

async function readStore(file: string): Promise<Record<string, StoredCapabilities>> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return json && typeof json === 'object' ? (json as Record<string, StoredCapabilities>) : {};
  } catch {
    return {};
  }
}

async function storedOrProbed(ffmpegPath: string, file: string | undefined): Promise<Capabilities> {
  if (!file) return probeCapabilities(ffmpegPath);
  let stamp: string;
  try {
    stamp = stampOf(ffmpegPath);
  } catch {
    return probeCapabilities(ffmpegPath);
  }
  const stored = (await readStore(file))[ffmpegPath];
  if (stored?.stamp === stamp && Array.isArray(stored.filters) && Array.isArray(stored.encoders))
    return {
      ffmpegPath,
      filters: new Set(stored.filters),
      encoders: new Set(stored.encoders),
      version: String(stored.version),
      amixNormalize: stored.amixNormalize === true,
      astatsMeasure: stored.astatsMeasure === true,
    };
  const caps = await probeCapabilities(ffmpegPath);
  try {
    // read again just before writing (another process may have added its binary), then an atomic rename
    const all = { ...(await readStore(file)) };
    all[ffmpegPath] = {
      stamp,
      filters: [...caps.filters],
      encoders: [...caps.encoders],
      version: caps.version,
      amixNormalize: caps.amixNormalize,
      astatsMeasure: caps.astatsMeasure,
    };
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(all), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // a cache that cannot be written is only slower next time
  }
  return caps;
}

/**
 * The capabilities of `ffmpegPath` (default: the one `findFfmpeg` finds), probed once per process (and
 * kept across processes in the store `setCapabilityStore` names, if any).
 */
export async function getCapabilities(ffmpegPath?: string): Promise<Capabilities> {
  const file = ffmpegPath ?? (await findFfmpeg()).ffmpeg;
  let cached = capabilityCache.get(file);
  if (!cached) {
    cached = storedOrProbed(file, storeFile);
    capabilityCache.set(file, cached);
    cached.catch(() => capabilityCache.delete(file));
  }
  return cached;
}
