import { tokenSource } from '../../config/index.js';
import { CliError, UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { readStdin } from '../stdin.js';

const TOKEN_RE = /^nmv_usr_[A-Za-z0-9_-]{8,}$/;

function notLoggedIn(ctx: Ctx): CliError {
  return new CliError(`no token for profile ${ctx.profile}`, {
    kind: 'auth',
    code: 'auth',
    fix: 'run nemo auth login (anonymous), or pipe a token: nemo auth login --with-token < token.txt',
  });
}

/** `nemo auth login [--with-token]`: an anonymous token, or a token read from stdin (never argv). */
export async function login(ctx: Ctx, _args: unknown, opts: { withToken?: boolean }): Promise<void> {
  const creds = ctx.credentials();
  let saved: { userId?: string; anonymous: boolean; credits?: number; expiresAt?: string };
  if (opts.withToken) {
    if (ctx.io.stdin.isTTY) ctx.out.info('paste the token (nmv_usr_…), then press Ctrl-D:');
    const token = (await readStdin(ctx.io.stdin)).trim();
    if (!TOKEN_RE.test(token)) {
      throw new UsageError(
        'the token on stdin does not look like a NemoVideo token (nmv_usr_…)',
        'pipe exactly one token: nemo auth login --with-token < token.txt',
      );
    }
    await ctx.store().clientId();
    saved = { anonymous: false };
    await creds.save({ token, anonymous: false });
  } else {
    const client = await ctx.client();
    const got = await client.auth.anonymousToken(ctx.interrupt.signal);
    saved = { ...got, anonymous: true };
    await creds.save({ ...got, anonymous: true });
  }
  if (ctx.out.json) ctx.out.result({ profile: ctx.profile, ...saved, file: creds.file });
  else {
    const who = saved.userId ? ` as ${saved.userId}` : '';
    const credits = saved.credits !== undefined ? `, ${saved.credits} credits` : '';
    ctx.out.info(
      `logged in${who} (${saved.anonymous ? 'anonymous' : 'token from stdin'}${credits}); profile ${ctx.profile}`,
    );
  }
  if (tokenSource(ctx.env) === 'env') ctx.out.warn('note: NEMO_TOKEN is set and wins over the stored token');
}

/** `nemo auth status`: profile, token source, user id, expiry. Exit 4 when there is no token. */
export async function status(ctx: Ctx): Promise<void> {
  const source = tokenSource(ctx.env);
  const stored = await ctx.credentials().load();
  if (source === 'profile' && !stored) throw notLoggedIn(ctx);
  const info = {
    profile: ctx.profile,
    source,
    userId: source === 'profile' ? (stored?.userId ?? null) : null,
    anonymous: source === 'profile' ? !!stored?.anonymous : false,
    expiresAt: source === 'profile' ? (stored?.expiresAt ?? null) : null,
    file: ctx.credentials().file,
  };
  if (ctx.out.json) {
    ctx.out.result(info);
    return;
  }
  ctx.out.data(`profile: ${info.profile}`);
  ctx.out.data(`token source: ${source === 'env' ? 'env (NEMO_TOKEN)' : `profile (${info.file})`}`);
  if (source === 'profile') {
    ctx.out.data(`user id: ${info.userId ?? 'unknown'}${info.anonymous ? ' (anonymous)' : ''}`);
    ctx.out.data(`expires: ${info.expiresAt ?? 'unknown'}`);
  }
}

/** `nemo auth token`: the bare token on stdout (the only command that ever prints it). */
export async function token(ctx: Ctx): Promise<void> {
  const value = ctx.env.NEMO_TOKEN || (await ctx.credentials().load())?.token;
  if (!value) throw notLoggedIn(ctx);
  ctx.io.stdout.write(`${value}\n`);
}

export async function logout(ctx: Ctx): Promise<void> {
  const had = await ctx.credentials().clear();
  if (ctx.out.json) ctx.out.result({ profile: ctx.profile, removed: had });
  else
    ctx.out.info(had ? `logged out of profile ${ctx.profile}` : `profile ${ctx.profile} had no stored token`);
  if (tokenSource(ctx.env) === 'env') ctx.out.warn('note: NEMO_TOKEN is still set in the environment');
}
