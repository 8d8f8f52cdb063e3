/**
 * The environment nemo gives a child process (ffmpeg, ffprobe, a transcriber): the parent's, minus
 * anything that looks like a credential. Dropped: every `NEMO_*` variable (NEMO_TOKEN above all),
 * names containing TOKEN, SECRET, PASSWORD/PASSWD/PASS, CREDENTIAL, AUTH, COOKIE, SESSION or
 * PRIVATE, names with a KEY word (API_KEY, AWS_ACCESS_KEY_ID, …) and the cloud SDKs' own prefixes
 * (AWS_*, AZURE_*, GOOGLE_*, GCLOUD_*, …). In what is kept, a URL's `user:password@` is removed (proxy
 * settings such as HTTPS_PROXY=http://user:pass@proxy keep working without the password). PATH,
 * HOME, LANG/LC_*, TMPDIR, TERM, LD_LIBRARY_PATH, FONTCONFIG_* and the like pass unchanged.
 */

const SECRET_NAME_RE =
  /^NEMO_|TOKEN|SECRET|PASSW|(?:^|_)PASS(?:$|_)|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|(?:^|_)(?:API)?KEYS?(?:$|_)|APIKEY|^(?:AWS|AZURE|GOOGLE|GCLOUD|GCP|CLOUDSDK|DIGITALOCEAN|HEROKU|OPENAI|ANTHROPIC|STRIPE)_/i;
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;

/** Whether a variable of this name is kept out of child processes. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_NAME_RE.test(name);
}

/** `env` (default: this process's) without credentials, for a child process. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isSecretEnvName(name)) continue;
    out[name] = value.includes('@') ? value.replace(USERINFO_RE, '$1') : value;
  }
  return out;
}
