import { EditInputError } from '../errors.js';

/** No caption source exists: no captions file, no whisper.cpp model, and no pocketsphinx. */
export class NoTranscriberError extends EditInputError {
  override name = 'NoTranscriberError';
  constructor(readonly detail?: string) {
    super(
      'no transcriber available: pass --captions subs.srt, or --asr-model /path/ggml-base.en.bin with ' +
        'whisper.cpp installed, or install pocketsphinx (apt-get install pocketsphinx-en-us)' +
        (detail ? ` [${detail}]` : ''),
    );
  }
}

/** A caption source exists but cannot be used (unreadable or empty file, missing model or binary). */
export class CaptionsError extends EditInputError {
  override name = 'CaptionsError';
}
