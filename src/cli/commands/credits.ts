import type { Ctx } from '../context.js';

/**
 * `nemo credits`: the balance as labelled lines on stdout (`available: 25000`, `frozen: 40`,
 * `total: 25040`); `--json`: {available, frozen, total}.
 */
export async function run(ctx: Ctx): Promise<void> {
  const client = await ctx.client();
  const b = await client.credits.get(ctx.interrupt.signal);
  if (ctx.out.json) ctx.out.result(b);
  else for (const key of ['available', 'frozen', 'total'] as const) ctx.out.data(`${key}: ${b[key]}`);
}
