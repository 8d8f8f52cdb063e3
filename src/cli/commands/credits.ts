import type { Ctx } from '../context.js';

/** `nemo credits`: the balance (`available` on stdout; `--json`: {available, frozen, total}). */
export async function run(ctx: Ctx): Promise<void> {
  const client = await ctx.client();
  const b = await client.credits.get(ctx.interrupt.signal);
  if (ctx.out.json) ctx.out.result(b);
  else {
    ctx.out.data(String(b.available));
    ctx.out.info(`credits: ${b.available} available, ${b.frozen} frozen, ${b.total} total`);
  }
}
