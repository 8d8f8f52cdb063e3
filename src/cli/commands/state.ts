import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDraft } from '../../timeline/index.js';
import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { sessionFor } from '../flows/session.js';
import { printDraft } from '../flows/show-state.js';

function localDraft(ctx: Ctx, output?: string): { file: string; saved: unknown } {
  const file = output ? ctx.store().localDraftPath(resolve(output)) : ctx.store().latestLocalDraft();
  if (!file)
    throw new CliError('no local edit yet in this profile', {
      fix: 'run one: nemo edit clip.mp4 "<instruction>" --local',
    });
  try {
    return { file, saved: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`no local edit wrote ${output ?? 'an output'} in this profile`, {
        fix: 'nemo state --local shows the newest; run the edit again to keep its draft',
      });
    }
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, {
      fix: `run a local edit again, or remove '${file}'`,
    });
  }
}

/** `nemo state [--local]`: the summary line and a drawn timeline; `--json`: the draft and state. */
export async function run(
  ctx: Ctx,
  _args: unknown,
  opts: { session?: string; local?: boolean; output?: string },
): Promise<void> {
  if (opts.local) {
    const { file, saved: raw } = localDraft(ctx, opts.output);
    const saved = raw as { draft?: unknown };
    const draft = saved.draft ?? saved;
    if (ctx.out.json)
      ctx.out.result({
        local: true,
        file,
        ...(saved.draft ? saved : { draft }),
      });
    else printDraft(ctx.out, parseDraft(draft));
    return;
  }
  const session = await sessionFor(ctx, opts.session);
  const client = await ctx.client();
  const state = await client.state.get(session.sessionId, ctx.interrupt.signal);
  const draft = parseDraft(state.state.draft);
  if (ctx.out.json) {
    const { summarize } = await import('../../timeline/index.js');
    ctx.out.result({
      sessionId: state.sessionId,
      summary: summarize(draft),
      draft: state.state.draft,
      state: state.state,
    });
    return;
  }
  printDraft(ctx.out, draft);
}
