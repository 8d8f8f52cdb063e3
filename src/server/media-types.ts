import { UPLOAD_TYPES } from '../base/media.js';

/** File kinds and MIME types by extension: the one upload table (src/base/media.ts). */
const TYPES = UPLOAD_TYPES;

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(TYPES);

/** 'video' | 'image' | 'audio' for an accepted extension (lower case, no dot), else undefined. */
export const kindOf = (ext: string): 'video' | 'image' | 'audio' | undefined => TYPES[ext]?.kind;

/** The Content-Type to serve a file with. */
export const mimeOf = (ext: string): string => TYPES[ext.toLowerCase()]?.mime ?? 'application/octet-stream';
