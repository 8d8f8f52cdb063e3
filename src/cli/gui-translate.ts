/** GUI talk in assistant text → the nemo command that does it (protocol §4.4: the agent thinks it has a web UI). */
const RULES: { pattern: RegExp; command: string }[] = [
  {
    pattern: /click(?:ing)?\s+(?:the\s+)?["'“]?export["'”]?|export\s+button|点击\s*["“]?导出|点击导出/i,
    command: 'nemo export',
  },
  { pattern: /preview\s+(?:it\s+)?in\s+(?:the\s+)?timeline|在时间线.{0,4}预览|预览/i, command: 'nemo state' },
  { pattern: /\bdrag(?:ging)?\b|拖动|拖拽/i, command: 'nemo upload <file>' },
  {
    pattern: /\bopen\s+(?:the\s+)?(?:editor|project|workspace|link|browser|web)|\bopen\s+it\b|打开/i,
    command: 'nemo link',
  },
];

/** The nemo commands matching GUI instructions in `text`, in order, without repeats. */
export function guiCommands(text: string): string[] {
  const found: string[] = [];
  for (const r of RULES) if (r.pattern.test(text) && !found.includes(r.command)) found.push(r.command);
  return found;
}

/** The text with "→ run `nemo …`" appended for each GUI instruction it contains. */
export function translateGui(text: string): string {
  const cmds = guiCommands(text);
  if (cmds.length === 0) return text;
  return `${text.replace(/\s+$/, '')}\n${cmds.map((c) => `→ run \`${c}\``).join('\n')}`;
}
