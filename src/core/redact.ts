/**
 * Secret redaction for everything `ops` prints or stores. Two layers:
 * known secret values (registered from configuration) are replaced wherever
 * they appear, and common secret shapes (passwords in URLs, api_key query
 * parameters, bearer tokens) are masked even when nobody registered them.
 */
const MASK = '***';
const knownSecrets = new Set<string>();

/** Remember a secret value so that it is masked wherever it shows up. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask innocent text; they are also not real keys.
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function clearSecretsForTest(): void {
  knownSecrets.clear();
}

const SECRET_NAME = /(pass(word)?|secret|token|api[_-]?key|apikey|pat|auth(orization)?|credential|private[_-]?key)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/[^a-z0-9_-]/gi, ''));
}

/*
 * Redaction must stay linear in the text: a long run of key-like characters
 * (a 1 MB identifier) must cost one pass, not a pass per position. A pattern such
 * as `[a-z][a-z0-9+.-]*:` before `://`, or an unbounded lookahead, is
 * quadratic on such a run and kept the process from serving SIGTERM. So the
 * URL passwords are found by a scan (below), and each pattern here either
 * starts with a literal or consumes the whole run it looks at.
 */
const PATTERNS: Array<[RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  // api_key=…, api_secret=…, token=… in query strings or forms
  [/([?&](?:api[_-]?key|api[_-]?secret|key|token|access_token|secret|password)=)[^&\s"']+/gi, `$1${MASK}`],
  // Authorization: Bearer …
  [/(bearer\s{1,16})[A-Za-z0-9._~+/=-]{4,}/gi, `$1${MASK}`],
  // OpenAI / xAI style keys: long and random (a digit somewhere), unlike a
  // name such as "sk-regina-north". The whole run is taken, then judged.
  [/\b(sk|xai)-[A-Za-z0-9_-]{20,}/g, (match, prefix) => (/[0-9]/.test(match) ? `${prefix}-${MASK}` : match)],
];

const URL_USER_STOP = /[/\s:@"'<>]/;
const TOKEN_STOP = /[\s"'<>]/;
const MAX_USER = 256;
const MAX_PASSWORD = 512;

/**
 * scheme://user:password@host → scheme://user:***@host. The password runs to
 * the last @ of the token (up to a space or a quote), so that one holding an
 * unencoded / ? # or @ — a URL that does not even parse — is masked whole.
 * One left-to-right pass: the end of the current token and the next @ are
 * remembered, never searched for again from an earlier place.
 */
function maskUrlPasswords(text: string): string {
  let out = '';
  let copied = 0;
  let tokenEnd = -1;
  let nextAt = -1;
  for (let i = text.indexOf('://'); i !== -1; ) {
    const userStart = i + 3;
    let j = userStart;
    const userLimit = Math.min(text.length, userStart + MAX_USER);
    while (j < userLimit && !URL_USER_STOP.test(text[j])) j++;
    const schemeBefore = i > 0 && /[a-z0-9+.-]/i.test(text[i - 1]);
    if (schemeBefore && text[j] === ':') {
      const from = j + 1;
      if (tokenEnd < from) {
        tokenEnd = from;
        while (tokenEnd < text.length && !TOKEN_STOP.test(text[tokenEnd])) tokenEnd++;
      }
      if (nextAt < from) {
        nextAt = text.indexOf('@', from);
        if (nextAt === -1) nextAt = Infinity;
      }
      if (nextAt < tokenEnd && nextAt - from <= MAX_PASSWORD) {
        // The last @ of the token within reach (we know there is at least one).
        let at = Math.min(tokenEnd, from + MAX_PASSWORD + 1) - 1;
        while (text[at] !== '@') at--;
        out += text.slice(copied, from) + MASK;
        copied = at;
        i = text.indexOf('://', at);
        continue;
      }
    }
    i = text.indexOf('://', userStart);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * The most of one string that is scanned. Longer text is cut (with a marker)
 * before redaction: what we redact is for logs, errors and task_logs, where
 * nobody reads a megabyte, and scanning it would only cost time.
 */
export const REDACT_MAX_CHARS = 64 * 1024;
/** At a cut, this much of an unbroken token before it is dropped too, so no half secret is left unmasked. */
const CUT_TOKEN_MAX = 1024;

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const floor = Math.max(0, max - CUT_TOKEN_MAX);
  while (end > floor && !/[\s"'<>,;]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}…[${text.length - end} characters cut]`;
}

export function redact(text: string, maxChars = REDACT_MAX_CHARS): string {
  let out = text;
  // Known secrets first, on the whole text: a cut must not leave half of one.
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  out = maskUrlPasswords(cut(out, maxChars));
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement as string);
  return out;
}

/** Redacts strings inside any JSON-like value; keys that name a secret lose their value. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (depth > 8) return value;
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = isSecretName(key) && v != null && v !== '' ? MASK : redactDeep(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
