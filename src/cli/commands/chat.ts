import { createInterface } from 'node:readline';
import type { NemoClient } from '../../api/index.js';
import type { Quality, SessionRecord } from '../../config/index.js';
import { parseDraft } from '../../timeline/index.js';
import { pickQuality } from '../args.js';
import { UsageError } from '../cli-error.js';
import type { Ctx } from '../context.js';
import { chatTurn } from '../flows/chat-turn.js';
import { exportOutputPath, exportSession } from '../flows/export.js';
import { createSession, sessionFor } from '../flows/session.js';
import { printDraft } from '../flows/show-state.js';
import { checkInputs, uploadItems } from '../flows/upload.js';
import { describeError } from '../handle-error.js';
import { type Intent, routeIntent } from '../intents.js';
import { checkOutputPath } from '../output-path.js';

export interface ChatOptions {
  local?: boolean;
  cloud?: boolean;
  session?: string;
  new?: boolean;
  output?: string;
  force?: boolean;
  quality?: string;
  /** Live text (ADK `streaming: true`). */
  stream?: boolean;
}

class ChatSession {
  constructor(
    private readonly ctx: Ctx,
    private readonly client: NemoClient,
    private session: SessionRecord,
    private readonly quality: Quality | undefined,
    private readonly opts: ChatOptions,
  ) {}

  private get out() {
    return this.ctx.out;
  }

  async handle(intent: Exclude<Intent, { kind: 'quit' }>): Promise<void> {
    const { ctx, client, out } = this;
    switch (intent.kind) {
      case 'export': {
        const output = this.opts.output ?? exportOutputPath(this.session);
        checkOutputPath(output, this.session.files ?? [], !!this.opts.force);
        const r = await exportSession(ctx, out, client, this.session, {
          output,
          quality: this.quality,
          download: true,
          force: !!this.opts.force,
        });
        out.event('result', { ...r, sessionId: this.session.sessionId });
        if (!out.json) out.data(r.output ?? '');
        return;
      }
      case 'credits': {
        const b = await client.credits.get(ctx.interrupt.signal);
        out.event('credits', { ...b });
        if (!out.json) out.data(`credits: ${b.available} available (${b.frozen} frozen, ${b.total} total)`);
        return;
      }
      case 'state': {
        const s = await client.state.get(this.session.sessionId, ctx.interrupt.signal);
        if (out.json) out.event('state', { sessionId: this.session.sessionId, draft: s.state.draft });
        else printDraft(out, parseDraft(s.state.draft));
        return;
      }
      case 'upload': {
        await checkInputs(intent.paths);
        await uploadItems(ctx, out, client, this.session.sessionId, intent.paths);
        this.session = await ctx.store().saveSession({
          sessionId: this.session.sessionId,
          files: [...(this.session.files ?? []), ...intent.paths],
        });
        return;
      }
      case 'chat': {
        const turn = await chatTurn(ctx, out, client, this.session.sessionId, intent.text, {
          stream: !!this.opts.stream,
          recreate: async (why) => {
            const lost = this.session;
            const files = lost.files ?? [];
            const fresh = await createSession(ctx);
            if (files.length > 0) await uploadItems(ctx, out, client, fresh.sessionId, files);
            this.session = await ctx.store().saveSession({ sessionId: fresh.sessionId, files });
            out.warn(
              `session ${lost.sessionId} was lost on the server${why ? ` ${why}` : ''}: created session ${fresh.sessionId}, re-uploaded ${files.length} file${files.length === 1 ? '' : 's'}, sending the message again`,
            );
            out.event('session.recreated', { lost: lost.sessionId, sessionId: fresh.sessionId });
            return fresh.sessionId;
          },
        });
        out.event('chat.done', { sessionId: turn.sessionId, textSeen: turn.textSeen });
      }
    }
  }
}

/**
 * `nemo chat`: a REPL on the session (current, --session, or --new). Lines are routed locally first
 * (export / credits / state / upload, in English and Chinese); the rest goes to the agent. When stdin
 * is not a terminal it reads lines from it, so it can be scripted; the exit code is the last failure's.
 */
export async function run(ctx: Ctx, _args: unknown, opts: ChatOptions): Promise<void> {
  const quality = pickQuality(opts.quality, ctx.settings().quality);
  if (opts.local && opts.cloud) throw new UsageError('--local and --cloud exclude each other', 'pick one');
  const local = opts.local || (!opts.cloud && ctx.settings().engine === 'local');
  if (local && opts.stream)
    throw new UsageError('--stream is for the cloud agent', 'drop --stream, or drop --local');
  const tty = !!ctx.io.stdin.isTTY;
  let chat: { handle(intent: Exclude<Intent, { kind: 'quit' }>): Promise<void> };
  if (local) {
    const { LocalChat } = await import('../flows/local-chat.js');
    chat = new LocalChat(ctx, { output: opts.output, force: opts.force, quality, fresh: !!opts.new });
    ctx.out.info(
      `local project (nothing leaves this machine)${tty ? ' — "upload <file>", then instructions, "status", "export", "exit"' : ''}`,
    );
  } else {
    const session = opts.new
      ? await createSession(ctx)
      : await sessionFor(ctx, opts.session, { create: true });
    chat = new ChatSession(ctx, await ctx.client(), session, quality, opts);
    ctx.out.info(
      `session ${session.sessionId}${tty ? ' — type an instruction, "export", "status", "credits", "upload <file>", or "exit"' : ''}`,
    );
  }
  const rl = createInterface({
    input: ctx.io.stdin,
    output: tty ? ctx.io.stderr : undefined,
    terminal: tty,
    prompt: 'nemo> ',
  });
  ctx.interrupt.signal.addEventListener('abort', () => rl.close(), { once: true });
  // readline holds a terminal in raw mode: Ctrl-C arrives as a key, not as SIGINT; make it the signal
  rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  let failure: number | undefined;
  if (tty) rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) {
      const intent = routeIntent(line);
      if (intent.kind === 'quit') break;
      try {
        await chat.handle(intent);
      } catch (err) {
        if (ctx.interrupt.interrupted) throw ctx.interrupt.signal.reason;
        const r = describeError(err);
        ctx.out.event('error', { ...r });
        ctx.out.say(ctx.out.c.red(`error: ${r.message}`));
        if (r.hint) ctx.out.say(`→ ${r.hint}`);
        failure = r.exitCode;
      }
    }
    if (tty) rl.prompt();
  }
  rl.close();
  ctx.interrupt.check();
  if (failure !== undefined) ctx.exitCode = failure;
}
