/**
 * Secrets and terminal safety for every string nemo prints (dependency-free, shared by api and cli).
 *
 * - `redactSecrets` hides the tokens this process knows (`rememberSecret`: NEMO_TOKEN, the profile's
 *   token, every token the transport sent), `nmv_usr_…` tokens and `Bearer …`/`Basic …` values.
 * - `redactUrlSecrets` also hides a URL's `user:password@` and its signature/credential parameters
 *   (used on --debug lines and people's text, never on data a user asked for such as `nemo link`).
 * - `stripControls` removes C0/C1 control characters and ESC/CSI/OSC/DCS sequences from text a
 *   server sent, so that an agent's reply cannot set the title, write the clipboard (OSC 52), clear
 *   the screen or rewrite a line. `\n` and `\t` are kept; `\r\n` becomes `\n`.
 */

const known = new Set<string>();

/** Secrets shorter than this are not remembered: replacing them would garble ordinary text. */
const MIN_SECRET = 8;

/** Remembers a secret value (a token) so that every later `redactSecrets` hides it. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET) known.add(value);
}

/** The secrets remembered so far (longest first). */
export function knownSecrets(): string[] {
  return [...known].sort((a, b) => b.length - a.length);
}

const TOKEN_RE = /nmv_usr_[A-Za-z0-9_.~+/=-]+/g;
const BEARER_RE = /\b(Bearer\s+)[^\s"',;}\]]+/gi;
/** Basic credentials are base64; a short word after "Basic" ("Basic plan") is left alone. */
const BASIC_RE = /\b(Basic\s+)[A-Za-z0-9+/]{16,}={0,2}/g;

/** Hides known secrets, `nmv_usr_…` tokens and `Bearer …`/`Basic …` credentials in `text`. */
export function redactSecrets(text: string, knownTokens: readonly string[] = knownSecrets()): string {
  let out = text;
  for (const secret of knownTokens) {
    if (secret.length >= MIN_SECRET && out.includes(secret)) out = out.split(secret).join('***');
  }
  return out.replace(BEARER_RE, '$1***').replace(BASIC_RE, '$1***').replace(TOKEN_RE, 'nmv_usr_***');
}

/** Query parameters that carry credentials or signatures (matched case-insensitively). */
const SECRET_PARAMS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth',
  'authorization',
  'api_key',
  'apikey',
  'key',
  'code',
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'googleaccessid',
  'policy',
  'key-pair-id',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'session',
  'sessionid',
  'nemo_token',
  'ct',
];
const PARAM_RE = new RegExp(`([?&;](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"'<>]*`, 'gi');
/** `scheme://user:password@host` or `scheme://token@host`. */
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"'<>]+@/gi;

/** `redactSecrets` plus a URL's userinfo and its signature/credential query parameters. */
export function redactUrlSecrets(text: string, knownTokens: readonly string[] = knownSecrets()): string {
  return redactSecrets(text, knownTokens).replace(USERINFO_RE, '$1***@').replace(PARAM_RE, '$1***');
}

/**
 * OSC, DCS, SOS, PM and APC strings (ESC or C1 introducer … BEL or ST), CSI sequences, other ESC
 * sequences, then any remaining C0 (but \t \n), DEL and C1 character.
 */
const STRING_SEQ_RE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)/g;
const CSI_RE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]/g;
const ESC_RE = /\x1b[ -/]*[0-~]/g;
const CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** The colour codes nemo itself writes (chalk's basic 8 colours, dim/bold and their resets). */
const NEMO_SGR_RE = /\x1b\[(?:0|1|2|22|3[0-9]|9[0-7])m/g;
const SGR_MARK = '\u{F0000}';
const HAS_CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/**
 * Removes terminal control sequences and control characters, keeping `\n` and `\t`. With
 * `keepColors`, the plain SGR colour codes nemo writes itself survive (a server can at most
 * colour text with them; nothing that moves the cursor, clears, retitles or reaches the clipboard).
 */
export function stripControls(text: string, opts: { keepColors?: boolean } = {}): string {
  if (!HAS_CONTROL_RE.test(text)) return text;
  let out = text.replace(/\r\n/g, '\n');
  const colors: string[] = [];
  if (opts.keepColors) {
    out = out.replace(NEMO_SGR_RE, (m) => {
      colors.push(m);
      return SGR_MARK;
    });
  }
  out = out.replace(STRING_SEQ_RE, '').replace(CSI_RE, '').replace(ESC_RE, '').replace(CONTROL_RE, '');
  if (colors.length > 0) {
    let i = 0;
    out = out.replace(new RegExp(SGR_MARK, 'gu'), () => colors[i++] ?? '');
  }
  return out;
}

/** What goes to a terminal or a log: controls stripped, secrets and URL credentials hidden. */
export function safeText(text: string, opts: { keepColors?: boolean } = {}): string {
  return redactUrlSecrets(stripControls(text, opts));
}

/** Cleans every string inside a JSON value (a JSON.stringify replacer): controls and known tokens. */
export function safeJsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? redactSecrets(stripControls(value)) : value;
}
