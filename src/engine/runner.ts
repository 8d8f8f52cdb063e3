import { closeSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createExclusive, publish, tempPathFor } from '../base/atomic-output.js';
import { resolveOutputFormat } from '../base/media.js';
import type { Draft } from '../timeline/index.js';
import { measureLoudness } from './analysis/loudness.js';
import { type CompiledDraft, type CompileOptions, compileDraft } from './compile/compile.js';
import type { OutputFormat } from './compile/output.js';
import { videoTrack } from './draft-build.js';
import { abortAware, EditInputError } from './errors.js';
import { findFfmpeg, getCapabilities } from './ffmpeg.js';
import { type EngineModel, parseDraft, setClipMeta } from './model/index.js';
import { probeMedia } from './probe.js';
import { runProcess } from './process.js';
import { REENCODE_ASKED, renderSmart } from './smart/render-hook.js';
import type { Capabilities, RenderOptions, RenderProgress, RenderResult } from './types.js';

const BASE_ARGS = ['-nostdin', '-hide_banner', '-y'];

/**
 * Segments from elsewhere (the server, a saved draft) may lack `hasVideo`/`hasAudio`: probe those sources
 * and write the keys into a copy of the draft (the edge: the smart path and the compiler read them there).
 */
async function withStreamInfo(
  draft: Draft,
  model: EngineModel,
  resolve: (src: string) => string,
  signal?: AbortSignal,
): Promise<Draft> {
  const missing = model.video.filter((c) => c.src && (c.hasVideo === undefined || c.hasAudio === undefined));
  if (missing.length === 0) return draft;
  const next = structuredClone(draft);
  const segments = videoTrack(next)?.sg ?? [];
  const infos = new Map<string, Promise<Awaited<ReturnType<typeof probeMedia>>>>();
  for (const clip of missing) {
    let info = infos.get(clip.src);
    if (!info) {
      info = probeMedia(resolve(clip.src), { signal });
      infos.set(clip.src, info);
    }
    const { hasVideo, hasAudio, kind } = await info;
    setClipMeta(segments[clip.index]!, { hasVideo, hasAudio, ...(kind === 'image' ? { still: true } : {}) });
  }
  return next;
}

/** Writes the graph's files and its script; returns the `-filter_complex_script` argv. */
async function prepare(compiled: CompiledDraft, workDir: string, name: string): Promise<string[]> {
  for (const f of compiled.files) await writeFile(f.path, f.content, 'utf8');
  const script = path.join(workDir, `${name}.filtergraph`);
  await writeFile(script, compiled.graph, 'utf8');
  return ['-filter_complex_script', script];
}

/** The static npm build's fontconfig chokes on Debian's /etc/fonts: give it a minimal config. */
async function ffmpegEnv(ffmpegPath: string, workDir: string): Promise<NodeJS.ProcessEnv | undefined> {
  if (!ffmpegPath.includes(`${path.sep}@ffmpeg-installer${path.sep}`)) return undefined;
  const conf = path.join(workDir, 'fonts.conf');
  await writeFile(
    conf,
    '<?xml version="1.0"?>\n<fontconfig><dir>/usr/share/fonts</dir></fontconfig>\n',
    'utf8',
  );
  return { ...process.env, FONTCONFIG_FILE: conf };
}

function parseProgress(onProgress: ((p: RenderProgress) => void) | undefined, totalMs: number) {
  let outTimeMs = 0;
  let speed: number | undefined;
  return (line: string): void => {
    const [key, value = ''] = line.split('=');
    if (key === 'out_time_us' || key === 'out_time_ms') {
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) outTimeMs = us / 1000;
    } else if (key === 'speed') {
      const s = Number.parseFloat(value);
      speed = Number.isFinite(s) ? s : undefined;
    } else if (key === 'progress' && onProgress) {
      const done = value === 'end';
      const fraction = done ? 1 : totalMs > 0 ? Math.min(0.999, outTimeMs / totalMs) : 0;
      onProgress({ fraction, outTimeMs: done ? totalMs : Math.min(outTimeMs, totalMs), totalMs, speed });
    }
  };
}

/**
 * The output format: the one asked for (option, else the draft's `fx.format`) and `outPath`'s extension
 * must agree, either decides alone (`x.mp4` never holds GIF or WebM data). A conflict, or an extension
 * that names no format nemo writes, is an `EditInputError`, thrown before any work.
 */
export function renderFormat(model: EngineModel, outPath: string, requested?: OutputFormat): OutputFormat {
  const resolved = resolveOutputFormat(outPath, requested ?? model.fx.format);
  if ('problem' in resolved)
    throw new EditInputError(
      `${resolved.problem}; name the output with the extension of the format you want`,
    );
  return resolved.format;
}

/** `.<name>.nemo-tmp-<pid>-<random>.<ext>` next to the output (unique to this process and render), published only on success. */
export function tempOutputPath(outPath: string, format: string): string {
  return tempPathFor(outPath, 'nemo-tmp', path.extname(outPath) || `.${format}`);
}

async function analysisPasses(
  draft: Draft,
  model: EngineModel,
  base: CompileOptions,
  caps: Capabilities,
  env: NodeJS.ProcessEnv | undefined,
  signal?: AbortSignal,
): Promise<CompileOptions> {
  const opts = { ...base };
  const first = compileDraft(draft, opts);
  if (first.needsStabilizePass) {
    opts.transformsFile = path.join(base.workDir, 'stabilize.trf');
    const pass = compileDraft(draft, { ...opts, mode: 'stabilize' });
    const script = await prepare(pass, base.workDir, 'stabilize');
    await runProcess(
      caps.ffmpegPath,
      [...BASE_ARGS, '-progress', 'pipe:3', ...pass.inputs, ...script, ...pass.outputArgs, '-'],
      { purpose: 'analysis', signal, env, progressFd: true },
    );
  }
  const target = model.fx.loudnorm;
  if (first.needsLoudnessPass && target) {
    const pass = compileDraft(draft, { ...opts, mode: 'audio' });
    opts.loudness = await measureLoudness(
      caps.ffmpegPath,
      { inputs: pass.inputs, graph: pass.graph, audioLabel: pass.audioLabel!, target },
      signal,
    );
  }
  return opts;
}

/**
 * Renders the draft: cheap analysis passes when needed (vidstab detect, loudnorm measurement), then ONE
 * filtergraph and ONE encode pass into a temp file next to `outPath`, renamed over it on success. On
 * failure or abort ffmpeg is killed and the temp file removed. An existing `outPath` is replaced only
 * with `overwrite` (the CLI's --force): otherwise OutputExistsError, even when it appeared during the render.
 */
export async function renderDraft(
  draft: Draft,
  outPath: string,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  // The boundary: a malformed draft is refused here, before any probe or encode.
  const model = parseDraft(draft);
  const format = renderFormat(model, outPath, opts.format);
  const { ffmpeg } = await findFfmpeg();
  const caps = await getCapabilities(ffmpeg);
  const resolve = opts.resolveSrc ?? ((src: string) => src);
  const ready = await withStreamInfo(draft, model, resolve, opts.signal);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nemo-render-'));
  const target = path.resolve(outPath);
  let tmp: string | undefined;
  try {
    const env = await ffmpegEnv(ffmpeg, workDir);
    // Where the draft and source allow, copy the GOPs the edit does not touch (smart/); `reencode` forces the full path.
    const smart = opts.reencode
      ? undefined
      : await renderSmart(ready, { format, caps, workDir, resolve, env, opts, target, publish });
    if (smart?.result) return smart.result;
    const base: CompileOptions = { caps, workDir, resolveSrc: resolve, format, quality: opts.quality };
    const compiled = compileDraft(ready, await analysisPasses(ready, model, base, caps, env, opts.signal));
    const script = await prepare(compiled, workDir, 'render');
    tmp = tempOutputPath(target, compiled.format);
    // reserved exclusively (no other run writes this name); ffmpeg -y then writes into it
    closeSync(createExclusive(tmp));
    await runProcess(
      ffmpeg,
      [
        ...BASE_ARGS,
        '-progress',
        'pipe:1',
        '-nostats',
        ...compiled.inputs,
        ...script,
        ...compiled.outputArgs,
        tmp,
      ],
      {
        purpose: 'encode',
        signal: opts.signal,
        env,
        keepStdout: false,
        onStdoutLine: parseProgress(opts.onProgress, compiled.durationMs),
      },
    );
    // fsync, then appear whole; never over a file that appeared meanwhile unless `overwrite`
    publish(tmp, target, { replace: opts.overwrite });
    tmp = undefined;
    const { size } = await stat(target);
    return {
      path: target,
      durationMs: compiled.durationMs,
      encodePasses: 1,
      bytes: size,
      renderPath: {
        path: 'full',
        reasons: opts.reencode ? [REENCODE_ASKED] : (smart?.reasons ?? []),
      },
    };
  } catch (err) {
    throw abortAware(err, opts.signal);
  } finally {
    if (tmp) await rm(tmp, { force: true });
    await rm(workDir, { recursive: true, force: true });
  }
}
