import { resolve } from 'node:path';
import { onFfmpegSpawn, type SpawnRecord } from '../engine/process.js';

/**
 * What the engine is doing, in words, read from the ffmpeg (or whisper) run it just started: the
 * spinner of `nemo edit --local` names each phase truly instead of saying "rendering" throughout.
 * undefined for runs that say nothing about the phase (the capability probe, which runs alongside).
 */
export function phaseOf(run: Pick<SpawnRecord, 'command' | 'args' | 'purpose'>): string | undefined {
  switch (run.purpose) {
    case 'probe':
      return 'reading the inputs';
    case 'capabilities':
      return undefined;
    case 'encode':
      return 'rendering';
  }
  const args = run.args.join(' ');
  if (/\basr=|whisper/.test(`${run.command} ${args}`) || args.includes('-osrt')) return 'transcribing speech';
  if (/loudnorm|ebur128/.test(args)) return 'measuring loudness';
  if (/silencedetect/.test(args)) return 'finding silences';
  if (/volumedetect|astats/.test(args)) return 'measuring audio levels';
  if (/stabilize|vidstab/.test(args)) return 'analysing motion';
  if (args.includes('pcm_s16le')) return 'extracting audio';
  return args.includes('-vn') ? 'analysing audio' : 'analysing';
}

/**
 * Calls `onPhase` with the phase of each engine run that concerns these input files (its arguments
 * name one of them; whisper reads a temp copy and is taken as well): `--each --jobs 2` runs two edits
 * side by side, and one's runs must not relabel the other's progress. Returns the unsubscribe.
 */
export function watchPhases(files: readonly string[], onPhase: (phase: string) => void): () => void {
  const mine = new Set(files.map((f) => resolve(f)));
  return onFfmpegSpawn((run) => {
    const ours = run.args.some((a) => mine.has(a)) || /whisper/.test(run.command);
    const phase = ours ? phaseOf(run) : undefined;
    if (phase) onPhase(phase);
  });
}
