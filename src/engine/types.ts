import type { OutputFormat } from '../base/media.js';
import type { Draft } from '../timeline/index.js';
import type { ExtraOp } from './plan/ops.js';

/** One planned edit operation, produced from instruction text by the planner (pure, no I/O). */
export type EditOp =
  | { op: 'trimSilence'; thresholdDb?: number; marginMs?: number; minCutMs?: number; minClipMs?: number }
  | { op: 'cutStart'; ms: number } // cut/trim the first N s
  | { op: 'cutEnd'; ms: number } // cut/trim the last N s
  | { op: 'trimIntro'; ms?: number } // leading silence, or the first N s
  | { op: 'keepRange'; fromMs: number; toMs: number }
  | { op: 'cutRange'; fromMs: number; toMs: number } // remove a range from the middle
  | { op: 'trimTo'; ms: number } // keep the first N s
  | { op: 'speed'; factor: number }
  | { op: 'mute' }
  | { op: 'music'; path?: string; volume?: number; duck?: boolean }
  | { op: 'loudnorm'; lufs: number; tp?: number; lra?: number }
  | { op: 'denoise' }
  | { op: 'grade'; look: 'warm' | 'cool' | 'cinematic' | 'vintage' | 'bw' | 'vivid' | 'lut'; lut?: string }
  | { op: 'title'; text: string; style: 'title' | 'lower-third'; atMs?: number; durationMs?: number }
  | { op: 'captions'; path?: string }
  | { op: 'transition'; type?: string; ms?: number }
  | { op: 'concat' }
  | { op: 'preset'; name: 'youtube' | 'tiktok' | 'square' | 'portrait45' | '4k'; fit?: 'blur' | 'crop' }
  | { op: 'enhance'; scale?: number }
  | { op: 'stabilize' }
  | { op: 'format'; format: OutputFormat }
  | { op: 'export' }
  | ExtraOp;

export interface PlanResult {
  ops: EditOp[];
  /** Clauses the planner could not understand, verbatim. Never silently dropped. */
  unknown: string[];
  /** The clauses, in order, with what each became (for --json and the server's replies). */
  clauses: { text: string; ops: EditOp[] }[];
}

/** What the engine knows about one input file (ffprobe). */
export interface MediaInfo {
  path: string;
  durationMs: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Display rotation in degrees (ffmpeg turns the decoded frames by it: ±90 swaps width and height). */
  rotation?: number;
  hasVideo: boolean;
  hasAudio: boolean;
  kind: 'video' | 'audio' | 'image';
}

export interface ApplyContext {
  /** Maps a segment `src` (URL or path) to a local file path the engine can read. */
  resolveSrc?: (src: string) => string;
  /** Files the user gave with --music / --captions / --lut, used when the text names none. */
  musicPath?: string;
  captionsPath?: string;
  asrModelPath?: string;
  signal?: AbortSignal;
}

export interface ApplyResult {
  draft: Draft;
  /** One human line per operation: what it did ("cut 3 silences, 4.2 s removed"). */
  notes: string[];
}

export interface RenderProgress {
  /** 0..1 */
  fraction: number;
  outTimeMs: number;
  totalMs: number;
  speed?: number;
}

export interface RenderOptions {
  resolveSrc?: (src: string) => string;
  onProgress?: (p: RenderProgress) => void;
  signal?: AbortSignal;
  /** Overrides draft.m.fx.format; without either, the output path's extension decides (else mp4). */
  format?: OutputFormat;
  quality?: 'low' | 'medium' | 'high';
  /** Replace an existing output (the CLI's --force); without it the render never replaces a file. */
  overwrite?: boolean;
  /**
   * Re-encode the whole output. Without it a render takes the smart path of src/engine/smart/ wherever
   * the draft and the source allow (copy the GOPs the edit does not touch, re-encode only around cuts and
   * under titles), and the full re-encode everywhere else.
   */
  reencode?: boolean;
}

/** Which way a render went: 'smart' copied the untouched GOPs; 'full' re-encoded all, for `reasons`. */
export interface RenderPath {
  path: 'smart' | 'full';
  reasons: string[];
  /** smart: output frames copied / all output frames. */
  copiedFrames?: number;
  frames?: number;
  /** smart: wall time of each step, ms. */
  timings?: Record<string, number>;
}

export interface RenderResult {
  path: string;
  durationMs: number;
  /** How many ffmpeg encode passes ran (always 1 for a render; analysis passes are not encodes). */
  encodePasses: number;
  bytes: number;
  renderPath?: RenderPath;
}

/** Where the engine found its binaries. */
export interface FfmpegPaths {
  ffmpeg: string;
  ffprobe: string;
  /** How ffmpeg was found: an env variable, PATH, or the npm package fallback. */
  source: 'env' | 'path' | 'npm';
}

/** What the ffmpeg build can do (probed once per binary and cached). */
export interface Capabilities {
  ffmpegPath: string;
  filters: Set<string>;
  encoders: Set<string>;
  /** First line of `ffmpeg -version`'s version field, e.g. "5.1.9-0+deb12u1". */
  version: string;
  /** amix has the `normalize` option (ffmpeg ≥ 4.4). */
  amixNormalize: boolean;
  /** astats can compute only the statistics asked for (`measure_overall`: 5.1 has it, the npm 4.1 build not). */
  astatsMeasure?: boolean;
}
