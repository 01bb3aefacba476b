/**
 * What the pipeline computes with JavaScript libraries, once per distinct
 * value of a run (remembered up to a bound): URL normal form and campaign
 * parameters (core/url-normalize), bot detection (isbot), and why bytes kept
 * in raw are not an event.
 */
import { isbot } from 'isbot';
import { splitUrl } from '../../core/url-normalize.js';
import type { UrlFacts } from '../../db/queries/tracking-staging.js';
import type { Enrichment } from './validate.js';

/** Longest normalised URL stored (a btree key must stay well under 2.7 kB). */
const MAX_NORMALISED_URL = 2000;
const CAMPAIGN = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'gclid', 'fbclid', 'msclkid'] as const;

export function urlFacts(text: string): UrlFacts {
  let parts: ReturnType<typeof splitUrl>;
  try {
    parts = splitUrl(text);
  } catch (err) {
    return { error: (err as Error).message.slice(0, 300) };
  }
  if (parts.url.length > MAX_NORMALISED_URL) return { error: `${parts.url.length} characters once normalised, at most ${MAX_NORMALISED_URL}` };
  const params = new URLSearchParams(parts.query);
  const facts: UrlFacts = { error: null, url: parts.url, origin: parts.origin, path: parts.path, query: parts.query };
  for (const key of CAMPAIGN) {
    const value = params.get(key);
    facts[key] = value === null || value === '' ? null : value.slice(0, 500);
  }
  return facts;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** [reason, detail] for bytes that did not become a JSON payload. */
export function classifyBody(bytes: Uint8Array): [string, string] {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return ['invalid_encoding', `${bytes.length} bytes that are not valid UTF-8`];
  }
  try {
    JSON.parse(text);
  } catch (err) {
    return ['not_json', `not JSON (${(err as Error).message.slice(0, 200)})`];
  }
  return ['invalid_encoding', 'JSON holding \\u0000 or an unpaired surrogate, which Postgres cannot store'];
}

/** Distinct values remembered per run, for URLs and for user agents. */
const REMEMBERED = 50_000;

export function enrichment(): Enrichment {
  const bots = new Map<string, boolean>();
  const urls = new Map<string, UrlFacts>();
  return {
    url(text) {
      let facts = urls.get(text);
      if (facts === undefined) {
        facts = urlFacts(text);
        if (urls.size < REMEMBERED) urls.set(text, facts);
      }
      return facts;
    },
    isBot(userAgent) {
      let known = bots.get(userAgent);
      if (known === undefined) {
        known = isbot(userAgent);
        if (bots.size < REMEMBERED) bots.set(userAgent, known);
      }
      return known;
    },
    body: classifyBody,
  };
}
