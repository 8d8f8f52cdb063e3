import type { RenderStatus } from '../../api/index.js';
import { parseTimeout } from '../args.js';
import type { Ctx } from '../context.js';

function show(ctx: Ctx, s: RenderStatus): void {
  const { raw: _raw, ...fields } = s;
  if (ctx.out.json) ctx.out.result(fields);
  else
    ctx.out.data(
      `${s.id} ${s.status} ${Math.round(s.progress)}%${s.url ? ` ${s.url}` : ''}${s.error ? ` (${s.error})` : ''}`,
    );
}

/** `nemo render status <id>`. */
export async function status(ctx: Ctx, id: string): Promise<void> {
  const client = await ctx.client();
  show(ctx, await client.render.get(id, ctx.interrupt.signal));
}

/** `nemo render wait <id> [--timeout s]`: progress events, then the final status (exit 5 when it failed). */
export async function wait(ctx: Ctx, id: string, opts: { timeout?: string }): Promise<void> {
  const timeoutMs = parseTimeout(opts.timeout);
  const client = await ctx.client();
  const progress = ctx.out.progress(`render ${id}`, {
    event: 'render.progress',
    fields: (done) => ({ id, progress: done }),
  });
  const done = await client.render.wait(id, {
    signal: ctx.interrupt.signal,
    timeoutMs,
    onProgress: (s) => progress.update(s.progress, 100, { status: s.status }),
  });
  progress.finish();
  if (ctx.out.json) {
    const { raw: _raw, ...fields } = done;
    ctx.out.event('result', fields);
  } else show(ctx, done);
}

/** `nemo render cancel <id>`. */
export async function cancel(ctx: Ctx, id: string): Promise<void> {
  const client = await ctx.client();
  show(ctx, await client.render.cancel(id, ctx.interrupt.signal));
}
