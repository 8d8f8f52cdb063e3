#!/usr/bin/env node
// Silence trimming and caption accuracy on generated speech (issues 13.4, 13.5): `node bench/silence-accuracy.js`
// after `npm run build` (measures dist/). espeak-ng utterances with pauses of known length, pink noise mixed in
// at measured RMS levels; prints Markdown tables to stdout (progress on stderr). Options: --no-asr (skip the
// pocketsphinx word error rates, the slow part), --keep (keep the fixtures in bench/.tmp/silence-accuracy).
// The fixture generator is the tests' own (test/helpers/speech-media.ts), transpiled with typescript.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({ options: { 'no-asr': { type: 'boolean' }, keep: { type: 'boolean' } } });
const work = join(ROOT, 'bench', '.tmp', 'silence-accuracy');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const helperTs = readFileSync(join(ROOT, 'test', 'helpers', 'speech-media.ts'), 'utf8');
const helperJs = ts.transpileModule(helperTs, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
}).outputText;
writeFileSync(join(work, 'speech-media.mjs'), helperJs);
const { makeMusic, makeSpeechClip, scoreCuts } = await import(
  pathToFileURL(join(work, 'speech-media.mjs')).href
);
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { detectPauses, detectSilences, keepIntervals } = await dist('engine/analysis/silence.js');
const { transcribeWithPocketsphinx } = await dist('engine/captions/pocketsphinx.js');
const { wordErrorRate } = await dist('engine/captions/wer.js');

const FFMPEG = process.env.FIXTURE_FFMPEG ?? 'ffmpeg';
// Six utterances (33 words), pauses 0.5–2 s: about 21 s of audio per level.
const PHRASES = [
  'Welcome to the show about editing videos.',
  'Today we cut the pauses.',
  'And we keep every word.',
  'The weather is nice, so we work outside.',
  'Noise from the street is loud.',
  'Thanks for watching, and see you next time.',
];
const PAUSES_S = [0.8, 1.5, 0.5, 2.0, 0.7, 1.2, 0.9];
const LEVELS = [
  ['clean', undefined],
  ['−45 dBFS', -45],
  ['−33 dBFS', -33],
  ['−27 dBFS', -27],
];
const FPS = 30;
const pct = (x) => `${x.toFixed(1)} %`;
const log = (s) => process.stderr.write(`${s}\n`);

const rows = [];
const clips = [];
for (const [label, noiseDb] of LEVELS) {
  log(`fixture: ${label}`);
  const clip = await makeSpeechClip(work, `speech${noiseDb ?? ''}.wav`, {
    phrases: PHRASES,
    pausesS: PAUSES_S,
    noiseDb,
  });
  clips.push([label, clip]);
  const fixed = await detectSilences(FFMPEG, clip.file);
  const aware = await detectPauses(FFMPEG, clip.file);
  for (const [method, silences, note] of [
    ['fixed −28 dB (before)', fixed, 'silencedetect −28 dB peak'],
    [
      'speech-aware (now)',
      aware.silences,
      `${aware.method}, threshold ${aware.thresholdDb.toFixed(1)} dB${aware.method === 'adaptive' ? ' RMS' : ''}, floor ${Number.isFinite(aware.noise.floorDb) ? `${aware.noise.floorDb.toFixed(1)} dB` : '−∞'}`,
    ],
  ]) {
    const s = scoreCuts(clip, keepIntervals(silences, clip.audioMs, { fps: FPS }));
    const pauseS = clip.pauses.reduce((n, p) => n + p.endMs - p.startMs, 0) / 1000;
    rows.push(
      `| ${label} | ${method} | ${pct(s.speechKeptPct)} | ${s.clipped} of ${PHRASES.length} | ${(Math.max(0, s.speechLostMs) / 1000).toFixed(2)} s | ${Number.isFinite(s.minMarginMs) ? `${Math.round(s.minMarginMs)} ms` : '—'} | ${(s.removedMs / 1000).toFixed(2)} of ${pauseS.toFixed(2)} s | ${pct(Math.min(s.removedPct, 100))} | ${note} |`,
    );
  }
}
log('fixture: music');
const music = await makeMusic(join(work, 'music.wav'), 10);
const musicCut = async (silences) =>
  10 - keepIntervals(silences, 10000).reduce((n, k) => n + k.endMs - k.startMs, 0) / 1000;
const musicFixed = await musicCut(await detectSilences(FFMPEG, music));
const musicAware = await musicCut((await detectPauses(FFMPEG, music)).silences);

const out = [];
out.push('### Silence trimming on generated speech (issue 13.4)');
out.push('');
out.push(
  `${PHRASES.length} espeak-ng utterances, ${PAUSES_S.length} pauses of ${PAUSES_S.join(', ')} s; pink noise at the RMS level shown ` +
    '(measured with astats); default rules (0.2 s margins, 0.2 s min cut, 30 fps). "Removable" = each pause less the ' +
    'margins the rules keep (a cut can reach past that, inside the margin, where the detector hears the sound end ' +
    "before the fixture's −60 dBFS edge: shown as 100 %). An utterance is clipped when any of its sound (first to last sample over −60 dBFS) is cut.",
);
out.push('');
out.push(
  '| noise | method | speech kept | utterances clipped | speech lost | smallest margin left | pause time removed | of the removable | detection |',
);
out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
out.push(...rows);
out.push('');
out.push(
  `Music without pauses (10 s, a melody of decaying notes over a chord): fixed method cuts ${musicFixed.toFixed(2)} s, speech-aware ${musicAware.toFixed(2)} s.`,
);

if (!opts['no-asr']) {
  out.push('');
  out.push('### Caption word error rate, pocketsphinx through ffmpeg asr (issue 13.5)');
  out.push('');
  out.push('| audio | reference words | substitutions | deletions | insertions | WER | transcript |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, clip] of clips.filter(([l]) => l === 'clean' || l === '−33 dBFS')) {
    log(`pocketsphinx: ${label}`);
    const cues = await transcribeWithPocketsphinx(FFMPEG, clip.file);
    const hyp = cues.map((c) => c.text).join(' ');
    const e = wordErrorRate(PHRASES.join(' '), hyp);
    out.push(
      `| espeak-ng, ${label} | ${e.referenceWords} | ${e.substitutions} | ${e.deletions} | ${e.insertions} | ${pct(e.wer * 100)} | "${hyp}" |`,
    );
  }
}
process.stdout.write(`${out.join('\n')}\n`);
if (!opts.keep) rmSync(work, { recursive: true, force: true });
