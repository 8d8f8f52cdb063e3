import { readFileSync } from 'node:fs';
import { parseDraft } from '../../timeline/index.js';
import { CliError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { sessionFor } from '../flows/session.js';
import { printDraft } from '../flows/show-state.js';

function localDraft(ctx: Ctx): unknown {
  const file = ctx.store().localDraftPath();
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError('no local edit yet in this profile', {
        fix: 'run one: nemo edit clip.mp4 "<instruction>" --local',
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
  opts: { session?: string; local?: boolean },
): Promise<void> {
  if (opts.local) {
    const saved = localDraft(ctx) as { draft?: unknown };
    const draft = saved.draft ?? saved;
    if (ctx.out.json)
      ctx.out.result({
        local: true,
        file: ctx.store().localDraftPath(),
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
