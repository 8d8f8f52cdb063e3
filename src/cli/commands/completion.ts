import type { Command } from 'commander';
import { QUALITIES } from '../../base/media.js';
import { UsageError } from '../cli-error.js';

interface Node {
  path: string[];
  subs: string[];
  flags: string[];
}

/** Every option that takes one of a fixed set of values (commander `choices`), by flag. */
type Values = Map<string, string[]>;

function walk(cmd: Command, path: string[], out: Node[], values: Values): void {
  const flags = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
  for (const o of cmd.options)
    if (o.argChoices) for (const f of [o.long, o.short]) if (f) values.set(f, [...o.argChoices]);
  // a positional argument with choices (`completion <shell>`) completes like a subcommand
  const choices = cmd.registeredArguments.flatMap((a) => a.argChoices ?? []);
  out.push({ path, subs: [...cmd.commands.map((c) => c.name()), ...choices], flags });
  for (const sub of cmd.commands) walk(sub, [...path, sub.name()], out, values);
}

function valueCases(values: Values, indent: string, line: (flag: string, words: string) => string): string {
  return [...values].map(([flag, words]) => `${indent}${line(flag, words.join(' '))}`).join('\n');
}

function bash(nodes: Node[], globals: string[], values: Values): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subs, ...n.flags, ...globals].join(' ')}" ;;`)
    .join('\n');
  return `# nemo bash completion: source this file, or add \`eval "$(nemo completion bash)"\` to ~/.bashrc
_nemo() {
  local cur cmdpath="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
${valueCases(values, '    ', (f, w) => `${f}) COMPREPLY=( $(compgen -W "${w}" -- "$cur") ); return ;;`)}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_nemo_subs "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac
  done
  local words
  case "$cmdpath" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=( $(compgen -f -- "$cur") )
}
_nemo_subs() {
  case "$1" in
${nodes.map((n) => `    "${n.path.join(' ')}") echo "${n.subs.join(' ')}" ;;`).join('\n')}
  esac
}
complete -o filenames -F _nemo nemo
`;
}

function zsh(nodes: Node[], globals: string[], values: Values): string {
  return `#compdef nemo
# nemo zsh completion: save as _nemo in a directory on $fpath, or source <(nemo completion zsh)
_nemo() {
  local -a words_here
  local cmdpath="" w
  case "\${words[CURRENT-1]}" in
${valueCases(values, '    ', (f, w) => `${f}) compadd ${w}; return ;;`)}
  esac
  for w in \${words[2,CURRENT-1]}; do
    [[ "$w" == -* ]] && continue
    case "$cmdpath" in
${nodes.map((n) => `      "${n.path.join(' ')}") [[ " ${n.subs.join(' ')} " == *" $w "* ]] && cmdpath="\${cmdpath:+$cmdpath }$w" ;;`).join('\n')}
    esac
  done
  case "$cmdpath" in
${nodes.map((n) => `    "${n.path.join(' ')}") words_here=(${[...n.subs, ...n.flags, ...globals].join(' ')}) ;;`).join('\n')}
  esac
  compadd -a words_here
  _files
}
# autoloaded from $fpath: run it; sourced (source <(nemo completion zsh)): register it
if [ "$funcstack[1]" = "_nemo" ]; then _nemo "$@"; else compdef _nemo nemo; fi
`;
}

function fish(nodes: Node[], globals: string[], values: Values): string {
  const lines = [
    '# nemo fish completion: save as ~/.config/fish/completions/nemo.fish',
    'complete -c nemo -f',
  ];
  for (const g of globals.filter((f) => f.startsWith('--'))) lines.push(`complete -c nemo -l ${g.slice(2)}`);
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const s of n.subs) lines.push(`complete -c nemo -n '${cond}' -a ${s}`);
    if (n.path.length > 0) {
      for (const f of n.flags.filter((x) => x.startsWith('--')))
        lines.push(
          `complete -c nemo -n '${cond}' -l ${f.slice(2)}${values.has(f) ? ` -xa '${values.get(f)?.join(' ')}'` : ''}`,
        );
      lines.push(`complete -c nemo -n '${cond}' -F`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `nemo completion bash|zsh|fish`: a completion script built from the program's commands and options. */
export function completionScript(shell: string, program: Command): string {
  const nodes: Node[] = [];
  const values: Values = new Map();
  walk(program, [], nodes, values);
  // --quality is checked by nemo itself (its own message), not by commander's choices
  values.set('--quality', [...QUALITIES]);
  const globals = nodes[0]?.flags ?? [];
  const rest = nodes.map((n) => (n.path.length === 0 ? { ...n, flags: [] } : n));
  if (shell === 'bash') return bash(rest, globals, values);
  if (shell === 'zsh') return zsh(rest, globals, values);
  if (shell === 'fish') return fish(rest, globals, values);
  throw new UsageError(
    `unknown shell ${JSON.stringify(shell)}`,
    'use one of: nemo completion bash | zsh | fish',
  );
}
