/** The on-device editing engine: ffmpeg discovery, planner, draft ops, the one-pass compiler and runner. */
export { applyOps, orderOps } from './apply.js';
export { NoTranscriberError } from './captions/index.js';
export { type CompiledDraft, type CompileOptions, compileDraft } from './compile/compile.js';
export { encoderArgs, type OutputFormat, type Quality } from './compile/output.js';
export { draftFromMedia } from './draft-build.js';
export {
  EditInputError,
  EngineAbortedError,
  EngineError,
  FfmpegFailedError,
  FfmpegNotFoundError,
  UnknownInstructionError,
} from './errors.js';
export { findFfmpeg, getCapabilities } from './ffmpeg.js';
export { type LocalEditEvent, type LocalEditOptions, type LocalEditResult, localEdit } from './local-edit.js';
export { planInstruction, SUPPORTED_OPERATIONS } from './planner.js';
export { mediaInfoFromProbe, probeMedia } from './probe.js';
export { onFfmpegSpawn, type SpawnPurpose, type SpawnRecord } from './process.js';
export { renderDraft } from './runner.js';
export * from './types.js';
