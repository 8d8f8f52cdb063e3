/**
 * The supported media vocabulary, shared by every layer (dependency-free): the output formats nemo
 * writes, their file extensions, containers and MIME types, the qualities, and the limits the on-device
 * engine accepts.
 */

/** The output formats nemo writes. */
export const OUTPUT_FORMATS = ['mp4', 'webm', 'mov', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Output qualities, lowest first. */
export const QUALITIES = ['low', 'medium', 'high'] as const;
export type Quality = (typeof QUALITIES)[number];

export interface FormatInfo {
  /** The file extension, without the dot. */
  ext: string;
  /** The ffmpeg muxer (`-f`). */
  container: string;
  mime: string;
  /** What it holds, for help text. */
  description: string;
}

export const FORMATS: Readonly<Record<OutputFormat, FormatInfo>> = {
  mp4: { ext: 'mp4', container: 'mp4', mime: 'video/mp4', description: 'H.264 + AAC' },
  webm: { ext: 'webm', container: 'webm', mime: 'video/webm', description: 'VP9 + Opus' },
  mov: { ext: 'mov', container: 'mov', mime: 'video/quicktime', description: 'H.264 + AAC (QuickTime)' },
  gif: { ext: 'gif', container: 'gif', mime: 'image/gif', description: 'animated GIF, no sound' },
};

/** Other spellings of the extensions (lower case, without the dot). */
const EXT_ALIASES: Readonly<Record<string, OutputFormat>> = { m4v: 'mp4', qt: 'mov' };

export function isOutputFormat(value: unknown): value is OutputFormat {
  return typeof value === 'string' && (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** The extension of a path, lower case, without the dot ('' when none). */
export function extensionOf(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The output format a file name's extension names (`x.webm` → 'webm'), undefined when it names none. */
export function formatFromPath(file: string): OutputFormat | undefined {
  const ext = extensionOf(file);
  return isOutputFormat(ext) ? ext : EXT_ALIASES[ext];
}

/** `file` with its extension replaced by the format's (`a/clip.mp4`, gif → `a/clip.gif`). */
export function withFormatExtension(file: string, format: OutputFormat): string {
  const ext = extensionOf(file);
  const stem = ext ? file.slice(0, file.length - ext.length - 1) : file;
  return `${stem}.${FORMATS[format].ext}`;
}

/** "mp4 (H.264 + AAC), webm (VP9 + Opus), …" for help and error text. */
export const FORMAT_HINT = OUTPUT_FORMATS.map((f) => `.${f} (${FORMATS[f].description})`).join(', ');

/**
 * How the output format and the output name's extension agree: the format asked for (flag or
 * instruction) and the extension must name the same format; either alone decides. Returns the format,
 * or a problem sentence when they conflict or the extension names no format nemo writes.
 */
export function resolveOutputFormat(
  outPath: string,
  requested: OutputFormat | undefined,
): { format: OutputFormat } | { problem: string } {
  const fromPath = formatFromPath(outPath);
  const ext = extensionOf(outPath);
  if (fromPath === undefined) {
    return {
      problem: ext
        ? `the output name ${outPath} ends in .${ext}, which is not a format nemo writes (${FORMAT_HINT})`
        : `the output name ${outPath} has no extension; nemo writes ${FORMAT_HINT}`,
    };
  }
  if (requested !== undefined && requested !== fromPath)
    return {
      problem: `the output is asked to be ${requested} but its name ${outPath} ends in .${ext} (${fromPath})`,
    };
  return { format: requested ?? fromPath };
}

/** Limits of the on-device engine: parameters beyond them are refused before any work. */
export const LIMITS = {
  /** Speed factor range ("speed up 2x", "slow down to 0.5x"). */
  minSpeed: 0.25,
  maxSpeed: 16,
  /** Largest input or output frame side, in pixels. */
  maxSide: 8192,
  /** Longest title/lower-third text, in characters. */
  maxTitleChars: 200,
  /** Longest timeline the engine renders, in ms (6 hours). */
  maxDurationMs: 6 * 3600 * 1000,
} as const;

/**
 * What can be uploaded (protocol §4.5, plus `.jpeg`): extension → kind and Content-Type. The client's
 * checks (src/api/file-checks.ts) and `nemo serve` (src/server/media-types.ts) both read this table.
 */
export const UPLOAD_TYPES: Readonly<Record<string, { kind: 'video' | 'image' | 'audio'; mime: string }>> = {
  mp4: { kind: 'video', mime: 'video/mp4' },
  mov: { kind: 'video', mime: 'video/quicktime' },
  avi: { kind: 'video', mime: 'video/x-msvideo' },
  webm: { kind: 'video', mime: 'video/webm' },
  mkv: { kind: 'video', mime: 'video/x-matroska' },
  jpg: { kind: 'image', mime: 'image/jpeg' },
  jpeg: { kind: 'image', mime: 'image/jpeg' },
  png: { kind: 'image', mime: 'image/png' },
  gif: { kind: 'image', mime: 'image/gif' },
  webp: { kind: 'image', mime: 'image/webp' },
  mp3: { kind: 'audio', mime: 'audio/mpeg' },
  wav: { kind: 'audio', mime: 'audio/wav' },
  m4a: { kind: 'audio', mime: 'audio/mp4' },
  aac: { kind: 'audio', mime: 'audio/aac' },
};

/** The upload extensions as people read them: "mp4, mov, …, m4a or aac". */
export const UPLOAD_EXTENSIONS_TEXT = ((all: string[]) => `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`)(
  Object.keys(UPLOAD_TYPES),
);
