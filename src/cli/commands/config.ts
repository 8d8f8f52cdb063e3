import { checkSetting, isSettingKey, SETTING_HELP, SETTING_KEYS } from '../../config/index.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';

function requireKey(key: string): asserts key is (typeof SETTING_KEYS)[number] {
  if (!isSettingKey(key))
    throw new UsageError(`unknown setting ${JSON.stringify(key)}`, `settings: ${SETTING_KEYS.join(', ')}`);
}

/** `nemo config get <key>`: the value on stdout (empty line when unset). */
export async function get(ctx: Ctx, key: string): Promise<void> {
  requireKey(key);
  const value = ctx.settings()[key];
  if (ctx.out.json) ctx.out.result({ profile: ctx.profile, key, value: value ?? null });
  else ctx.out.data(value ?? '');
}

/** `nemo config set <key> <value>` (an empty value unsets it). */
export async function set(ctx: Ctx, [key, value]: [string, string]): Promise<void> {
  requireKey(key);
  const normalised = value === '' ? undefined : checkSetting(key, value);
  await ctx.store().setSetting(key, normalised);
  if (ctx.out.json) ctx.out.result({ profile: ctx.profile, key, value: normalised ?? null });
  else
    ctx.out.info(
      normalised === undefined
        ? `unset ${key} (profile ${ctx.profile})`
        : `${key} = ${normalised} (profile ${ctx.profile})`,
    );
}

/** `nemo config list`: every setting of the profile, `key=value` lines. */
export async function list(ctx: Ctx): Promise<void> {
  const settings = ctx.settings();
  if (ctx.out.json) {
    ctx.out.result({ profile: ctx.profile, file: ctx.store().file, settings });
    return;
  }
  for (const key of SETTING_KEYS) ctx.out.data(`${key}=${settings[key] ?? ''}`);
  ctx.out.info(ctx.out.c.dim(`profile ${ctx.profile}, ${ctx.store().file}`));
  for (const key of SETTING_KEYS) ctx.out.info(ctx.out.c.dim(`  ${key}: ${SETTING_HELP[key]}`));
}
