import { Argument, type Command, Option, Command as Program } from 'commander';
import { OUTPUT_FORMATS, QUALITIES } from '../base/media.js';
import { packageVersion } from '../base/version.js';
import { runIO } from './active.js';

/**
 * The commander program. It only registers names, options and help text; each command's handler
 * module (`./commands/<name>.js`) is imported when that command runs, so `nemo --help` stays fast
 * (no undici, zod, conf, ora, chalk, engine or server code is loaded).
 */

// biome-ignore lint/suspicious/noExplicitAny: each handler declares its own argument and option types
type Handler = (ctx: any, args: any, opts: any) => Promise<void>;
type Loader = () => Promise<{ run: Handler } | Record<string, Handler>>;

const examples = (lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

function lazy(load: Loader, exportName = 'run') {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, -2);
    const [{ createContext }, mod] = await Promise.all([import('./context.js'), load()]);
    const handler = (mod as Record<string, Handler>)[exportName];
    if (!handler) throw new Error(`internal: ${cmd.name()} has no handler ${exportName}`);
    const ctx = await createContext(cmd.optsWithGlobals(), runIO());
    await handler(ctx, positional.length === 1 ? positional[0] : positional, cmd.opts());
  };
}

const quality = () => new Option('--quality <quality>', `export quality: ${QUALITIES.join(' | ')}`);
const timeout = () =>
  new Option('--timeout <seconds>', 'give up waiting for the render after this long (it keeps running)');
const session = () => new Option('--session <id>', 'use this session instead of the current one');

function addEdit(program: Command): void {
  program
    .command('edit')
    .description('edit video files with one instruction, then export and download the result')
    .argument(
      '<files-and-instruction...>',
      'one or more files (or URLs), then the instruction as the last argument',
    )
    .option(
      '-o, --output <path>',
      'output file (default: <input>.edited.mp4 next to the input, never overwriting)',
    )
    .option('--local', 'edit on this machine with ffmpeg; nothing is uploaded')
    .option('--cloud', 'use the cloud API even when `engine` is set to local')
    .option('--each', 'edit each file on its own, with its own session and render')
    .option('--jobs <n>', 'with --each: how many files to edit at once', '1')
    .addOption(session())
    .option('--no-download', 'stop after the render; print the render URL instead of downloading')
    .option('-f, --force', 'overwrite an existing output file')
    .option('--music <file>', 'background music file (for "add music")')
    .option('--captions <file>', 'captions file, .srt or .vtt (for "add captions")')
    .option('--asr-model <path>', 'local speech-recognition model for captions (--local)')
    .option(
      '--audio-stream <n>',
      'with --local: which audio stream of a multi-track clip (0, 1…; default: the default one)',
    )
    .option('--dry-run', 'with --local: print the plan, durations and cuts; write nothing')
    .option(
      '--reencode',
      'with --local: re-encode the whole video (by default nemo copies what the edit leaves untouched where it can)',
    )
    .addOption(quality())
    .addOption(new Option('--format <format>', 'output container').choices([...OUTPUT_FORMATS]))
    .addOption(timeout())
    .option('--stream', "cloud: show the agent's text live as it is written (ADK streaming)")
    .addHelpText(
      'after',
      examples([
        `nemo edit clip.mp4 "trim silences, add a title 'Urban Dreams'" -o out.mp4`,
        'nemo edit intro.mp4 talk.mp4 "join them, add lo-fi music"',
        'nemo edit *.mp4 "export for TikTok" --each --jobs 2',
        'nemo edit clip.mp4 "cut the first 3 seconds, normalize audio" --local',
        'nemo edit -- -odd-name.mp4 "add captions"        # names starting with a dash',
        'nemo edit clip.mp4 "make it warmer" --json | jq -c .   # NDJSON events',
      ]),
    )
    .action(lazy(() => import('./commands/edit.js')));

  program
    .command('plan')
    .description('show what the on-device planner makes of an instruction; with files, the cuts it gives')
    .argument('<instruction>', 'the instruction, as for nemo edit --local')
    .argument('[files...]', 'the inputs: adds durations and cuts (probe and silence analysis only)')
    .option('--music <file>', 'background music file (for "add music")')
    .option('--captions <file>', 'captions file, .srt or .vtt (for "add captions")')
    .option('--asr-model <path>', 'local speech-recognition model for captions')
    .addHelpText(
      'after',
      examples([
        'nemo plan "cut the first 2 seconds and the last 2 seconds"',
        'nemo plan "trim silences, fade in and out" clip.mp4',
        'nemo plan "speed up silences 4x" talk.mp4 --json | jq .dryRun',
      ]),
    )
    .action(lazy(() => import('./commands/plan.js')));
}

function addChat(program: Command): void {
  program
    .command('chat')
    .description('talk to the editor turn by turn (reads lines from stdin when it is not a terminal)')
    .option('--local', 'edit on this machine with ffmpeg; nothing is uploaded')
    .option('--cloud', 'use the cloud API even when `engine` is set to local')
    .addOption(session())
    .option('--new', 'start a new session')
    .option('-o, --output <path>', 'where "export" saves the video')
    .option('-f, --force', 'overwrite an existing output file')
    .addOption(quality())
    .option('--stream', "cloud: show the agent's text live as it is written (ADK streaming)")
    .addHelpText(
      'after',
      `\nInside the chat, these run locally without the agent:\n  export | 导出 | download | send me the video   → nemo export\n  credits | 积分 | balance | 余额               → nemo credits\n  status | 状态 | show tracks                    → nemo state\n  upload <path> | 上传 <path>                    → nemo upload\n  exit | quit                                     → leave\n${examples(
        [
          'nemo chat',
          `printf 'upload clip.mp4\\nadd a title "Hello"\\nexport\\n' | nemo chat --new`,
          `printf 'upload clip.mp4\\ntrim silences\\nstatus\\nexport\\n' | nemo chat --local --new`,
        ],
      )}`,
    )
    .action(lazy(() => import('./commands/chat.js')));
}

function addSimple(program: Command): void {
  program
    .command('upload')
    .description('upload files or URLs into the current session')
    .argument('<files-or-urls...>')
    .addOption(session())
    .addHelpText(
      'after',
      examples(['nemo upload clip.mp4 music.mp3', 'nemo upload https://example.com/clip.mp4']),
    )
    .action(lazy(() => import('./commands/upload.js')));

  program
    .command('state')
    .description('show the draft: a summary line and a drawn timeline')
    .addOption(session())
    .option('--local', 'show the draft of the newest local edit')
    .option('-o, --output <file>', 'with --local: the draft of the local edit that wrote this file')
    .addHelpText(
      'after',
      examples([
        'nemo state',
        'nemo state --json | jq .draft',
        'nemo state --local',
        'nemo state --local -o out.mp4',
      ]),
    )
    .action(lazy(() => import('./commands/state.js')));

  program
    .command('export')
    .description('render the current draft and download it')
    .option(
      '-o, --output <path>',
      'output file (default: next to the first uploaded file, or ./nemo-<session>.mp4)',
    )
    .option(
      '--resume [renderId]',
      'wait for (and download) a render already submitted; defaults to the last one',
    )
    .addOption(quality())
    .addOption(new Option('--format <format>', 'output container').choices([...OUTPUT_FORMATS]))
    .addOption(session())
    .addOption(timeout())
    .option('--no-download', 'print the render URL instead of downloading')
    .option(
      '--download-timeout <seconds>',
      'give up the download after this long (default: 120 s, longer for big files: 256 KiB/s)',
    )
    .option('-f, --force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      examples([
        'nemo export -o final.mp4',
        'nemo export --resume',
        'nemo export --resume render_1234 -o final.mp4',
      ]),
    )
    .action(lazy(() => import('./commands/export.js')));

  const render = program.command('render').description('look at or control a render job');
  render
    .command('status')
    .argument('<id>')
    .description('show a render job once')
    .action(lazy(() => import('./commands/render.js'), 'status'));
  render
    .command('wait')
    .argument('<id>')
    .description('wait for a render job, with progress')
    .addOption(timeout())
    .action(lazy(() => import('./commands/render.js'), 'wait'));
  render
    .command('cancel')
    .argument('<id>')
    .description('cancel a render job')
    .action(lazy(() => import('./commands/render.js'), 'cancel'));
  render.addHelpText(
    'after',
    examples([
      'nemo render status render_1234',
      'nemo render wait render_1234 --timeout 600',
      'nemo render cancel render_1234',
    ]),
  );

  program
    .command('credits')
    .description('show the credit balance')
    .addHelpText('after', examples(['nemo credits', 'nemo credits --json']))
    .action(lazy(() => import('./commands/credits.js')));

  program
    .command('link')
    .description('print a browser link to the current project (through a claim token)')
    .addOption(session())
    .addHelpText('after', examples(['nemo link']))
    .action(lazy(() => import('./commands/link.js')));
}

function addAccount(program: Command): void {
  const auth = program.command('auth').description('get, show and remove the API token');
  auth
    .command('login')
    .description('get an anonymous token (or store one read from stdin with --with-token)')
    .option('--with-token', 'read a token (nmv_usr_…) from stdin')
    .action(lazy(() => import('./commands/auth.js'), 'login'));
  auth
    .command('status')
    .description('profile, token source, expiry and user id (exit 4 when there is no token)')
    .action(lazy(() => import('./commands/auth.js'), 'status'));
  auth
    .command('token')
    .description('print the bare token on stdout')
    .action(lazy(() => import('./commands/auth.js'), 'token'));
  auth
    .command('logout')
    .description("remove the profile's stored token")
    .action(lazy(() => import('./commands/auth.js'), 'logout'));
  auth.addHelpText(
    'after',
    examples([
      'nemo auth login',
      'echo "$NEMO_TOKEN" | nemo auth login --with-token',
      'nemo auth status',
      'nemo -p work auth logout',
    ]),
  );

  const sessionCmd = program.command('session').description('create, list and choose sessions');
  sessionCmd
    .command('new')
    .description('create a session and make it current')
    .option('--language <code>', 'session language, e.g. en or zh')
    .action(lazy(() => import('./commands/session.js'), 'create'));
  sessionCmd
    .command('list')
    .description("the profile's sessions")
    .action(lazy(() => import('./commands/session.js'), 'list'));
  sessionCmd
    .command('use')
    .argument('<id>')
    .description('make a session current')
    .action(lazy(() => import('./commands/session.js'), 'use'));
  sessionCmd
    .command('show')
    .argument('[id]')
    .description('show a session record (default: the current one)')
    .action(lazy(() => import('./commands/session.js'), 'show'));
  sessionCmd.addHelpText(
    'after',
    examples(['nemo session new', 'nemo session list --json', 'nemo session use 7f3c…']),
  );

  const config = program
    .command('config')
    .description('get and set per-profile settings (api-url, language, quality, engine)');
  config
    .command('get')
    .argument('<key>')
    .description('print one setting')
    .action(lazy(() => import('./commands/config.js'), 'get'));
  config
    .command('set')
    .argument('<key>')
    .argument('<value>')
    .description('change one setting')
    .action(lazy(() => import('./commands/config.js'), 'set'));
  config
    .command('list')
    .description('print every setting')
    .action(lazy(() => import('./commands/config.js'), 'list'));
  config.addHelpText(
    'after',
    examples([
      'nemo config set quality medium',
      'nemo config set engine local',
      'nemo -p staging config set api-url http://127.0.0.1:8787',
      'nemo config list --json',
    ]),
  );
}

function addTools(program: Command): void {
  program
    .command('serve')
    .description('run a local NemoVideo-compatible server (for tests, demos and offline use)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '8787')
    .option('--data-dir <dir>', 'keep uploads and renders here (default: a temp dir removed on exit)')
    .addOption(new Option('--render-shape <shape>', 'render poll body shape').choices(['v19', 'v44']))
    .addOption(new Option('--sse-shape <shape>', '/run_sse event shape').choices(['adk', 'typed']))
    .option('--heartbeat-ms <ms>', 'heartbeat interval while the agent works')
    .addOption(
      new Option('--heartbeat-form <form>', 'heartbeat wire form').choices(['comment', 'empty', 'typed']),
    )
    .option('--silent-fraction <0..1>', 'share of edits answered without text')
    .option('--trailing-apology', 'append the vendor\'s "temporary issue" text after replies')
    .option('--render-min-ms <ms>', 'make every render take at least this long')
    .option('--edit-cost <credits>', 'credits charged per session for the first edit')
    .option('--start-credits <credits>', 'credits per new anonymous token')
    .option('--max-upload-bytes <bytes>', 'uploads above this get 4002')
    .option('--render-concurrency <n>', 'renders run at the same time (default 2)')
    .option('--render-timeout-ms <ms>', 'stop a render running longer than this (default 30 min; 0 = never)')
    .option(
      '--admin',
      'turn on /_nemo/* (faults, stats, renders); needs X-Nemo-Admin: <secret printed at start, or NEMO_SERVE_ADMIN_SECRET>',
    )
    .option(
      '--allow-host <host[:port]>',
      'also answer this Host header (repeatable; e.g. a name behind a proxy)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--fault <spec>',
      'inject a fault: name[:k=v,...] (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--log', 'log each request on stderr')
    .addHelpText(
      'after',
      `\nFaults: expire-token, lose-session, rate-limit, html-503, sse-drop, render-fail, slow-render,\ndownload-cut, upload-reset, sse-garbage. times defaults to 1; -1 = always.\n${examples(
        [
          'nemo serve',
          'nemo serve --port 0 --fault render-fail --fault rate-limit:path=/api/credits,times=2,retryAfterS=1',
          'NEMO_API_URL=http://127.0.0.1:8787 nemo edit clip.mp4 "add a title \'Hi\'"',
        ],
      )}`,
    )
    .action(lazy(() => import('./commands/serve.js')));

  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(['bash', 'zsh', 'fish']))
    .description('print a shell completion script')
    .addHelpText(
      'after',
      examples([
        'nemo completion bash >> ~/.bashrc',
        'nemo completion zsh > ~/.zfunc/_nemo',
        'nemo completion fish > ~/.config/fish/completions/nemo.fish',
      ]),
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('./commands/completion.js');
      runIO().stdout.write(completionScript(shell, program));
    });

  program
    .command('version')
    .description("print nemo's version (--json: with Node's)")
    .action(() => {
      const json = program.opts().json === true;
      runIO().stdout.write(
        json
          ? `${JSON.stringify({ version: packageVersion(), node: process.versions.node })}\n`
          : `${packageVersion()}\n`,
      );
    });

  program
    .command('help')
    .argument('[topic...]', 'a command (e.g. "auth login") or "exit-codes"')
    .description('show help for a command, or the exit codes')
    .action(async (topic: string[]) => {
      if (topic.join(' ') === 'exit-codes') {
        const { EXIT_CODE_TABLE, exitCodesText } = await import('./exit-codes.js');
        runIO().stdout.write(
          program.opts().json === true
            ? `${JSON.stringify(EXIT_CODE_TABLE)}\n`
            : `nemo exit codes:\n${exitCodesText()}\n`,
        );
        return;
      }
      let target: Command = program;
      for (const name of topic) {
        const sub = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!sub) {
          const { UsageError } = await import('./cli-error.js');
          throw new UsageError(
            `unknown help topic '${topic.join(' ')}'`,
            'see the topics: nemo --help, or nemo help exit-codes',
          );
        }
        target = sub as Command;
      }
      target.outputHelp();
    });
}

export function buildProgram(): Command {
  const io = runIO;
  const program = new Program('nemo')
    .description(
      'nemo: a command-line video editor. Cloud edits through the NemoVideo API, or on-device with --local.',
    )
    .version(packageVersion(), '-v, --version')
    .option('--json', 'machine-readable output: one JSON object, or NDJSON events for long commands')
    .option('-q, --quiet', 'only errors on stderr')
    .option('--no-color', 'no colours (also NO_COLOR)')
    .option('--debug', 'log requests on stderr, secrets redacted (also NEMO_DEBUG=1)')
    .option('-p, --profile <name>', 'use this profile (also NEMO_PROFILE)')
    .option('--api-url <url>', 'API base URL (also NEMO_API_URL)')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io().stdout.write(s),
      writeErr: (s) => io().stderr.write(s),
      getOutHelpWidth: () => (io().stdout.isTTY ? (io().stdout.columns ?? 80) : 80),
      getErrHelpWidth: () => (io().stderr.isTTY ? (io().stderr.columns ?? 80) : 80),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  addEdit(program);
  addChat(program);
  addSimple(program);
  addAccount(program);
  addTools(program);
  program.addHelpText(
    'after',
    `${examples([
      `nemo edit clip.mp4 "trim silences, add a title 'Urban Dreams'" -o out.mp4`,
      'nemo edit clip.mp4 "export for TikTok" --local',
      'nemo chat',
      'nemo state',
      'nemo export --resume',
    ])}\nExit codes: nemo help exit-codes. Long commands with --json print NDJSON events on stdout.\n`,
  );
  return program;
}
