/**
 * One way to compare URLs, for every task that keys rows by a URL: scheme and
 * host lowercased, default port, fragment and trailing slash dropped, query
 * parameters sorted; the path's case is kept (paths are case-sensitive).
 * Built on normalize-url (v8: the last line that runs on Node 20).
 */
import normalize from 'normalize-url';
import { ValidationError } from './errors.js';

const OPTIONS = {
  defaultProtocol: 'https',
  normalizeProtocol: true,
  stripWWW: false,
  stripHash: true,
  stripTextFragment: true,
  stripAuthentication: true,
  removeTrailingSlash: true,
  removeSingleSlash: true,
  removeDirectoryIndex: false,
  removeQueryParameters: [] as string[],
  sortQueryParameters: true,
} as const;

/** The normalised form of `input`; ValidationError when it is not an http(s) URL. */
export function normalizeUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw new ValidationError('empty URL');
  let normalized: string;
  try {
    normalized = normalize(trimmed, OPTIONS);
  } catch (err) {
    throw new ValidationError(`not a URL: ${JSON.stringify(trimmed.slice(0, 200))} (${(err as Error).message})`);
  }
  const protocol = new URL(normalized).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new ValidationError(`not an http(s) URL: ${JSON.stringify(trimmed.slice(0, 200))}`);
  return normalized;
}

/** The normalised URL split for storage: origin, path (at least "/") and query (without "?", empty when none). */
export function splitUrl(input: string): { url: string; origin: string; path: string; query: string } {
  const url = normalizeUrl(input);
  const parsed = new URL(url);
  return { url, origin: parsed.origin, path: parsed.pathname || '/', query: parsed.search.replace(/^\?/, '') };
}
