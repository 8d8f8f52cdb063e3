/**
 * Classifies what the server wrote on /run_sse and what the CLI printed with --json, so that each server event
 * can be paired with the CLI line it became: {kind: 'text'|'toolCall'|'toolResult'|'heartbeat'|'error', key, at}.
 */

/** One entry of the server's own write log (/_nemo/stats sseWrites). */
export function classifyServerWrite(w) {
  return {
    kind: w.kind,
    key: w.kind === 'text' ? String(w.text ?? '') : String(w.name ?? ''),
    at: w.writtenAt,
  };
}

/** One NDJSON line of `nemo … --json` ({line, at}), or null when it is not a chat event. */
export function classifyCliLine({ line, at }) {
  let ev;
  try {
    ev = JSON.parse(line);
  } catch {
    return null;
  }
  const type = ev.type ?? ev.event;
  if (type === 'chat.text' && !ev.partial) return { kind: 'text', key: String(ev.text ?? ''), at };
  if (type === 'chat.tool')
    return { kind: ev.phase === 'result' ? 'toolResult' : 'toolCall', key: String(ev.name ?? ''), at };
  if (type === 'chat.heartbeat') return { kind: 'heartbeat', key: '', at };
  return null;
}

/**
 * Pairs server events with CLI lines: tools by name in order, texts whose CLI text contains the server text's
 * start (the CLI may merge partials or translate GUI talk), heartbeats only when both sides count the same.
 * Returns [{kind, delayMs}].
 */
export function pairDelays(serverEvents, cliEvents) {
  const out = [];
  const used = new Set();
  for (const kind of ['toolCall', 'toolResult']) {
    const s = serverEvents.filter((e) => e.kind === kind);
    const c = cliEvents.filter((e) => e.kind === kind);
    for (let i = 0, j = 0; i < s.length && j < c.length; i++) {
      if (s[i].key !== c[j].key) continue;
      out.push({ kind, delayMs: c[j].at - s[i].at });
      j++;
    }
  }
  for (const s of serverEvents.filter((e) => e.kind === 'text')) {
    const probe = s.key.slice(0, 40);
    const c = cliEvents.find(
      (e) => e.kind === 'text' && !used.has(e) && e.at >= s.at && e.key.includes(probe),
    );
    if (!c) continue;
    used.add(c);
    out.push({ kind: 'text', delayMs: c.at - s.at });
  }
  const sh = serverEvents.filter((e) => e.kind === 'heartbeat');
  const ch = cliEvents.filter((e) => e.kind === 'heartbeat');
  if (sh.length && sh.length === ch.length) {
    for (let i = 0; i < sh.length; i++) out.push({ kind: 'heartbeat', delayMs: ch[i].at - sh[i].at });
  }
  return out;
}
