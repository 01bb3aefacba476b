/**
 * Untrusted identifiers that end up in URL paths or file names. A value that
 * tries to leave its place (separators, "..", control characters) is refused;
 * a file name is made from the rest, never trusted as given.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why this value is not safe as one path segment, or undefined when it is. */
export function unsafeSegmentReason(value: string): string | undefined {
  if (value.length === 0) return 'empty';
  if (value.length > 200) return 'longer than 200 characters';
  if (CONTROL.test(value)) return 'contains a control character';
  if (/[\\/]/.test(value)) return 'contains a path separator';
  if (value === '.' || value === '..' || value.includes('..')) return 'contains ".."';
  if (value.startsWith('.')) return 'starts with "."';
  if (value.trim() !== value) return 'has leading or trailing spaces';
  return undefined;
}

/**
 * A file name made only of [a-z0-9._-] (letters with accents lose them:
 * "münchen-by" → "munchen-by"); anything else becomes "-". Never empty,
 * never a dot file, at most 100 characters.
 */
export function toSafeFileName(value: string): string {
  const ascii = value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const cleaned = ascii
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 100);
  return cleaned || 'unnamed';
}
