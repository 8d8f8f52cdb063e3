import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { UPLOAD_TYPES } from '../base/media.js';
import { LocalInputError } from './errors.js';

/** Local checks on a file before it is uploaded (protocol §4.5). No network. */

export const DEFAULT_MAX_UPLOAD_BYTES = 500 * 1024 * 1024;

/** Accepted extensions and their Content-Type (the one table: src/base/media.ts). */
export const UPLOAD_CONTENT_TYPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(UPLOAD_TYPES).map(([ext, t]) => [ext, t.mime]),
);

const SUPPORTED = Object.keys(UPLOAD_CONTENT_TYPES).join(', ');

export interface UploadFileInfo {
  path: string;
  size: number;
  extension: string;
  contentType: string;
}

const ascii = (b: Buffer, start: number, text: string): boolean =>
  b.subarray(start, start + text.length).toString('latin1') === text;
const isFtyp = (b: Buffer): boolean => ascii(b, 4, 'ftyp');
const isEbml = (b: Buffer): boolean => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3;
const isRiff = (b: Buffer, form: string): boolean => ascii(b, 0, 'RIFF') && ascii(b, 8, form);
const isMp3 = (b: Buffer): boolean => ascii(b, 0, 'ID3') || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0);
const isAac = (b: Buffer): boolean => ascii(b, 0, 'ADIF') || (b[0] === 0xff && (b[1] & 0xf6) === 0xf0);
const QT_ATOMS = ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];

const MAGIC: Readonly<Record<string, (b: Buffer) => boolean>> = {
  mp4: isFtyp,
  m4a: isFtyp,
  mov: (b) => QT_ATOMS.some((atom) => ascii(b, 4, atom)),
  mkv: isEbml,
  webm: isEbml,
  avi: (b) => isRiff(b, 'AVI '),
  wav: (b) => isRiff(b, 'WAVE'),
  webp: (b) => isRiff(b, 'WEBP'),
  mp3: isMp3,
  aac: isAac,
  jpg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  gif: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'),
};

/** The media type whose magic bytes `head` (a file's first 16 bytes) start with, if any (downloads check this too). */
export function sniffMediaType(head: Buffer): string | undefined {
  return Object.keys(MAGIC).find((ext) => MAGIC[ext](head));
}

/** Check one file; throws LocalInputError (with a fix) on the first problem. */
export async function validateUploadFile(
  path: string,
  options: { maxBytes?: number } = {},
): Promise<UploadFileInfo> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new LocalInputError(
        `File not found: ${path}`,
        'Check the path (relative paths start from the current directory).',
      );
    }
    throw new LocalInputError(
      `Cannot read ${path}: ${code ?? String(err)}`,
      'Check the path and its permissions.',
      { cause: err },
    );
  }
  if (!info.isFile()) {
    throw new LocalInputError(`Not a regular file: ${path}`, 'Pass a media file, not a directory or device.');
  }
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new LocalInputError(
      `File is not readable: ${path}`,
      `Fix its permissions, e.g. chmod u+r "${path}".`,
      { cause: err },
    );
  }
  if (info.size === 0) {
    throw new LocalInputError(`File is empty: ${path}`, 'The file has 0 bytes; re-export or re-download it.');
  }
  const extension = extname(path).slice(1).toLowerCase();
  const contentType = UPLOAD_CONTENT_TYPES[extension];
  if (!contentType) {
    throw new LocalInputError(
      `Unsupported file type "${extension ? `.${extension}` : '(none)'}": ${path}`,
      `Supported types: ${SUPPORTED}. Convert it first, e.g. ffmpeg -i "${path}" out.mp4`,
    );
  }
  if (info.size > maxBytes) {
    throw new LocalInputError(
      `File too large: ${path} is ${mib(info.size)}, the limit is ${mib(maxBytes)}`,
      'Trim or compress it first, e.g. ffmpeg -i in.mp4 -crf 28 -preset fast smaller.mp4',
    );
  }
  const head = await readHead(path, 16);
  if (!MAGIC[extension](head)) {
    throw new LocalInputError(
      `${path} does not look like a .${extension} file (its first bytes do not match)`,
      'Rename it to its real type, or convert it, e.g. ffmpeg -i in out.mp4',
    );
  }
  return { path, size: info.size, extension, contentType };
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
