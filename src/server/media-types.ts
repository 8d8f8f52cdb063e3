/** File kinds and MIME types by extension: the upload list of protocol §4.5 (plus `.jpeg`). */
const TYPES: Record<string, { kind: 'video' | 'image' | 'audio'; mime: string }> = {
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

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(TYPES);

/** 'video' | 'image' | 'audio' for an accepted extension (lower case, no dot), else undefined. */
export const kindOf = (ext: string): 'video' | 'image' | 'audio' | undefined => TYPES[ext]?.kind;

/** The Content-Type to serve a file with. */
export const mimeOf = (ext: string): string => TYPES[ext.toLowerCase()]?.mime ?? 'application/octet-stream';
