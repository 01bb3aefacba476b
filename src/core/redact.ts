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

const PATTERNS: Array<[RegExp, string]> = [
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi, `$1${MASK}@`],
  // api_key=…, api_secret=…, token=… in query strings or forms
  [/([?&](?:api[_-]?key|api[_-]?secret|key|token|access_token|secret|password)=)[^&\s"']+/gi, `$1${MASK}`],
  // Authorization: Bearer …
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi, `$1${MASK}`],
  // OpenAI / xAI style keys: long and random (a digit somewhere), unlike a name such as "sk-regina-north"
  [/\b(sk|xai)-(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{20,}/g, `$1-${MASK}`],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
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
