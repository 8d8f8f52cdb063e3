import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../base/atomic-output.js';
import { isOutputFormat } from '../../base/media.js';
import type { Quality } from '../../config/index.js';
import { type Draft, parseDraft } from '../../timeline/index.js';
import { CliError, UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { useEngineCache } from '../engine-cache.js';
import type { Intent } from '../intents.js';
import type { Output } from '../output.js';
import { checkOutputPath, defaultOutputPath } from '../output-path.js';
import { printDraft } from './show-state.js';
import { checkInputs } from './upload.js';

type ChatIntent = Exclude<Intent, { kind: 'quit' }>;

/**
 * `nemo chat --local`: the iterative workflow on this machine. Files named by "upload" lines are
 * probed and become the draft at the first instruction; each instruction is planned and applied to
 * the draft (saved in the profile's local drafts after every turn, so `nemo state --local` shows it);
 * "export" renders it. Nothing leaves the machine.
 */
export class LocalChat {
  private files: string[] = [];
  private draft?: Draft;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: { output?: string; force?: boolean; quality?: Quality; fresh: boolean },
  ) {
    useEngineCache(ctx.env);
    if (!opts.fresh) this.draft = this.load();
  }

  /** This chat's own draft file (a concurrent run never overwrites it). */
  private readonly draftKey = `chat:${process.pid}:${Date.now()}`;

  private get out(): Output {
    return this.ctx.out;
  }

  private load(): Draft | undefined {
    try {
      const file = this.ctx.store().latestLocalDraft();
      if (!file) return undefined;
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { draft?: unknown };
      return parseDraft(saved.draft ?? saved);
    } catch {
      return undefined;
    }
  }

  private save(draft: Draft): void {
    this.draft = draft;
    writeFileAtomic(
      this.ctx.store().localDraftPath(this.draftKey),
      `${JSON.stringify({ chat: this.draftKey, draft }, null, 2)}\n`,
      0o600,
    );
  }

  /** The first local file of the draft, for the default output name. */
  private firstSource(): string | undefined {
    const src = this.draft?.t[0]?.sg[0]?.m?.src;
    return this.files[0] ?? (typeof src === 'string' && !/^[a-z]+:\/\//i.test(src) ? src : undefined);
  }

  async handle(intent: ChatIntent): Promise<void> {
    const engine = await import('../../engine/index.js');
    const signal = this.ctx.interrupt.signal;
    switch (intent.kind) {
      case 'upload': {
        if (this.draft && this.files.length === 0) {
          throw new UsageError(
            'the local draft already exists; new files can only join a new project',
            'start again with: nemo chat --local --new',
          );
        }
        await checkInputs(intent.paths);
        this.files.push(...intent.paths);
        this.draft = undefined;
        this.out.info(
          `added ${intent.paths.join(', ')} (${this.files.length} file${this.files.length === 1 ? '' : 's'} in the project)`,
        );
        return;
      }
      case 'chat': {
        const plan = engine.planInstruction(intent.text);
        if (plan.unknown.length > 0) {
          throw new UsageError(
            `the local engine does not understand: ${plan.unknown.map((u) => JSON.stringify(u)).join(', ')}`,
            `it can do: ${engine.SUPPORTED_OPERATIONS.join(', ')}`,
          );
        }
        this.out.event('local.plan', { clauses: plan.clauses, unknown: plan.unknown });
        let draft = this.draft;
        if (!draft) {
          if (this.files.length === 0)
            throw new CliError('no media yet', { fix: 'add a file first: upload clip.mp4' });
          const media = await Promise.all(
            this.files.map(async (src) => ({ src, info: await engine.probeMedia(src, { signal }) })),
          );
          draft = engine.draftFromMedia(media);
        }
        const result = await engine.applyOps(draft, plan.ops, { signal });
        this.save(result.draft);
        for (const note of result.notes) {
          this.out.info(`• ${note}`);
          this.out.event('local.progress', { stage: 'note', note });
        }
        return;
      }
      case 'state':
        if (this.out.json) this.out.event('state', { local: true, draft: this.draft ?? null });
        else printDraft(this.out, this.draft);
        return;
      case 'credits':
        this.out.event('credits', { local: true, available: null });
        if (!this.out.json) this.out.data('credits: local edits use no credits');
        return;
      case 'export': {
        if (!this.draft)
          throw new CliError('nothing to export yet', { fix: 'add a file and an instruction first' });
        const first = this.firstSource();
        // the default name takes the draft's format ("export as gif" → .gif): the engine refuses a mismatch
        const fmt = this.draft.m?.fx?.format;
        const ext = isOutputFormat(fmt) ? fmt : 'mp4';
        const output = this.opts.output ?? defaultOutputPath(first ?? 'nemo-local.mp4', ext);
        checkOutputPath(output, first ? [first] : [], !!this.opts.force);
        const progress = this.out.progress('rendering', {
          event: 'local.progress',
          fields: (done) => ({ stage: 'render', fraction: done / 100 }),
        });
        const r = await engine.renderDraft(this.draft, output, {
          signal,
          quality: this.opts.quality,
          overwrite: !!this.opts.force,
          onProgress: (p) => progress.update(Math.round(p.fraction * 100), 100),
        });
        progress.finish(`saved ${r.path}`);
        this.out.event('result', {
          output: r.path,
          encodePasses: r.encodePasses,
          durationMs: r.durationMs,
          bytes: r.bytes,
        });
        if (!this.out.json) this.out.data(r.path);
        return;
      }
    }
  }
}
