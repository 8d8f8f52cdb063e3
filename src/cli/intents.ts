/** What a chat line asks for, decided locally without the agent (issue 3 intent routing). */
export type Intent =
  | { kind: 'export' }
  | { kind: 'credits' }
  | { kind: 'state' }
  | { kind: 'upload'; paths: string[] }
  | { kind: 'quit' }
  | { kind: 'chat'; text: string };

const EXPORT =
  /^(?:please\s+)?(?:export|download|send\s+me\s+the\s+video|导出|下载)(?:\s+(?:it|the\s+video|now|please))?[.!。！]*$/i;
const CREDITS = /^(?:show\s+(?:my\s+)?)?(?:credits|balance|积分|余额)(?:\s*\?)?[?？.。]*$/i;
const STATE = /^(?:status|状态|show\s+(?:the\s+)?tracks|show\s+(?:the\s+)?timeline|state)[?？.。]*$/i;
const UPLOAD = /^(?:upload|上传)(?:\s+|[:：]\s*)(.+)$/i;
const QUIT = /^(?:exit|quit|bye|:q|退出)$/i;

/** Splits `upload` arguments: quoted paths may hold spaces; bare words are one path each. */
export function splitPaths(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]+)"|'([^']+)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out.filter((p) => p !== '');
}

/**
 * Routes one chat line: export / 导出 / download / "send me the video" → export; credits / 积分 /
 * balance / 余额 → credits; status / 状态 / "show tracks" → state; "upload <path>" / "上传 <path>"
 * → upload; exit/quit → quit; everything else goes to the agent.
 */
export function routeIntent(line: string): Intent {
  const text = line.trim();
  if (QUIT.test(text)) return { kind: 'quit' };
  if (EXPORT.test(text)) return { kind: 'export' };
  if (CREDITS.test(text)) return { kind: 'credits' };
  if (STATE.test(text)) return { kind: 'state' };
  const up = UPLOAD.exec(text);
  if (up?.[1]) return { kind: 'upload', paths: splitPaths(up[1]) };
  return { kind: 'chat', text };
}
