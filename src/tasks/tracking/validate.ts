/**
 * Validation and typing of raw tracking events, in JavaScript: each row of a
 * chunk is checked in memory (V8 parses JSON and runs these checks far
 * cheaper than Postgres runs them over jsonb), and the chunk is then written
 * with a few set-based statements (db/queries/tracking-staging). The rules,
 * their order, the reasons and the messages are the contract's
 * (db/queries/tracking-rules, README): the first problem of a row wins.
 * Lengths count characters (code points), as Postgres' length() does.
 */
import { hash } from 'node:crypto';
import { KNOWN_FIELDS, MAX_PROPERTIES_CHARS, STRING_FIELDS } from '../../db/queries/tracking-rules.js';
import type { RawEventRow, StagedEvent, UrlFacts } from '../../db/queries/tracking-staging.js';
import { after, EARLIEST, formatInstant, isoSeconds, minus, parseIsoTime, plus, seconds, type Instant } from './event-time.js';

/** [reason, path, detail]; the message is `path: detail`, or the detail alone when there is no path. */
export type Problem = [reason: string, path: string, detail: string];

export type Checked = { ok: true; event: StagedEvent } | { ok: false; problem: Problem; customerId: string | null; eventId: string | null };

/** What only JavaScript libraries compute (normalize-url, isbot), and why bytes kept in raw are not an event. */
export interface Enrichment {
  url(text: string): UrlFacts;
  isBot(userAgent: string): boolean;
  body(bytes: Uint8Array): [reason: string, detail: string];
}

export interface CheckOptions {
  enrich: Enrichment;
  maxFutureSeconds: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const KNOWN = new Set(KNOWN_FIELDS);
const STRING_LIMITS = Object.entries(STRING_FIELDS);
const REQUIRED = ['event_id', 'customer_id', 'event_type', 'occurred_at'];
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const REFERRER_HOST = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#:]+)/;
const SURROGATE = /[\ud800-\udbff]/;

/** jsonb_typeof's names. */
function typeOf(v: Json | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Characters (code points), not UTF-16 units. */
function length(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The first n characters (Postgres' left()). */
function left(s: string, n: number): string {
  if (s.length <= n) return s;
  if (!SURROGATE.test(s)) return s.slice(0, n);
  let out = '';
  let i = 0;
  for (const c of s) {
    if (i++ === n) break;
    out += c;
  }
  return out;
}

/** Code point order (the databases' collation of keys: C and C.UTF-8). */
function before(a: string, b: string): boolean {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b;
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i];
  return x.length < y.length;
}

const present = (v: Json | undefined): v is Exclude<Json, null> => v !== null && v !== undefined;
const text = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);
const nonEmpty = (v: Json | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);

interface Facts {
  receivedAt: Instant;
  /** Postgres' text of payload->'properties' (its length is the limit's measure). */
  propertiesJson: string | null;
  /** Set when there is no problem: the event time, skew corrected. */
  eventTime?: Instant;
}

/** The first problem of an event object, or null (then facts.eventTime is set). */
function firstProblem(p: Record<string, Json>, facts: Facts, maxFutureSeconds: number): Problem | null {
  let unknown: string | null = null;
  for (const key of Object.keys(p)) if (!KNOWN.has(key) && (unknown === null || before(key, unknown))) unknown = key;
  if (unknown !== null) return ['unknown_field', unknown, 'not a field of the event contract'];
  for (const f of REQUIRED) if (!present(p[f])) return ['missing_field', f, 'required'];
  for (const [f] of STRING_LIMITS) if (present(p[f]) && typeof p[f] !== 'string') return ['wrong_type', f, `expected a string, got ${typeOf(p[f])}`];
  const props = p.properties;
  if (present(props) && typeOf(props) !== 'object') return ['wrong_type', 'properties', `expected an object, got ${typeOf(props)}`];
  const value = present(props) ? (props as Record<string, Json>).value : undefined;
  if (present(value) && typeof value !== 'number') return ['wrong_type', 'properties.value', `expected a number, got ${typeOf(value)}`];
  for (const [f, max] of STRING_LIMITS) {
    const s = text(p[f]);
    if (s !== null && s.length > max && length(s) > max) return ['too_large', f, `${length(s)} characters, at most ${max}`];
  }
  const propsLength = facts.propertiesJson === null ? 0 : length(facts.propertiesJson);
  if (propsLength > MAX_PROPERTIES_CHARS) return ['too_large', 'properties', `${propsLength} characters of JSON, at most ${MAX_PROPERTIES_CHARS}`];
  for (const f of ['event_id', 'customer_id']) if ((p[f] as string).replace(/^ +| +$/g, '') === '') return ['invalid_value', f, 'empty'];
  const eventType = p.event_type as string;
  if (!EVENT_TYPE.test(eventType)) return ['invalid_value', 'event_type', `letters, digits and _ . : - only, starting with a letter: ${left(eventType, 80)}`];
  if (nonEmpty(p.session_id) === null && nonEmpty(p.anonymous_id) === null && nonEmpty(p.user_id) === null)
    return ['missing_field', 'session_id', 'one of session_id, anonymous_id or user_id is required'];
  if (eventType === 'page_view' && nonEmpty(p.page_url) === null) return ['missing_field', 'page_url', 'required for a page_view'];
  const occurred = parseIsoTime(p.occurred_at as string);
  if (occurred === null) return ['invalid_time', 'occurred_at', `not an ISO 8601 time with a zone: ${left(p.occurred_at as string, 80)}`];
  let event = occurred;
  if (present(p.sent_at)) {
    const sent = parseIsoTime(p.sent_at as string);
    if (sent === null) return ['invalid_time', 'sent_at', `not an ISO 8601 time with a zone: ${left(p.sent_at as string, 80)}`];
    // Clock skew: the time it happened is its arrival less what the client's clock says it waited.
    event = minus(facts.receivedAt, minus(sent, occurred));
    if (after(EARLIEST, event)) return ['invalid_time', 'sent_at', 'received − (sent_at − occurred_at) is before 4713 BC, out of range'];
  }
  if (after(event, plus(facts.receivedAt, seconds(maxFutureSeconds))))
    return ['future_time', 'occurred_at', `the event time ${isoSeconds(event)} is more than ${maxFutureSeconds} s after its arrival`];
  facts.eventTime = event;
  return null;
}

/** Checks one raw row; a valid one comes back typed, ready for staging. */
export function checkRow(row: RawEventRow, opts: CheckOptions): Checked {
  if (row.body !== null) {
    const [reason, detail] = opts.enrich.body(row.body);
    return { ok: false, problem: [reason, '', detail], customerId: null, eventId: null };
  }
  const doc = JSON.parse(row.doc!) as Json;
  if (typeOf(doc) !== 'object')
    return { ok: false, problem: ['not_object', '', `expected a JSON object, got ${typeOf(doc)}`], customerId: null, eventId: null };
  const p = doc as Record<string, Json>;
  if (row.sentAt !== null) p.sent_at = JSON.parse(row.sentAt) as Json;
  const customerId = typeof p.customer_id === 'string' ? left(p.customer_id, 128) : null;
  const eventId = typeof p.event_id === 'string' ? left(p.event_id, 128) : null;
  const facts: Facts = { receivedAt: { sec: Number(row.receivedSec), us: Number(row.receivedUs) }, propertiesJson: row.properties };
  let problem = firstProblem(p, facts, opts.maxFutureSeconds);
  const pageUrl = text(p.page_url);
  let url: UrlFacts | null = null;
  if (problem === null && pageUrl !== null) {
    url = opts.enrich.url(pageUrl);
    if (url.error !== null) problem = ['invalid_url', 'page_url', url.error];
  }
  if (problem !== null) return { ok: false, problem, customerId, eventId };

  const session = nonEmpty(p.session_id);
  const anonymous = nonEmpty(p.anonymous_id);
  const user = nonEmpty(p.user_id);
  const referrer = text(p.referrer);
  const userAgent = text(p.user_agent);
  const host = referrer === null ? null : REFERRER_HOST.exec(referrer);
  return {
    ok: true,
    event: {
      rawId: Number(row.id),
      customerId: customerId!,
      eventId: eventId!,
      eventType: p.event_type as string,
      eventTime: formatInstant(facts.eventTime!),
      occurredAt: p.occurred_at as string,
      sentAt: text(p.sent_at),
      receivedAt: formatInstant(facts.receivedAt),
      visitorKey: session !== null ? `s:${session}` : anonymous !== null ? `a:${anonymous}` : `u:${user}`,
      sessionId: session,
      anonymousId: anonymous,
      userId: user,
      url,
      referrer: referrer === '' ? null : referrer,
      referrerHost: host === null ? null : host[1].toLowerCase(),
      properties: row.properties === null || row.properties === 'null' ? '{}' : row.properties,
      value: row.value,
      userAgent,
      isBot: userAgent !== null && opts.enrich.isBot(userAgent),
      // md5((payload - 'sent_at')::text): a redelivery that only differs by its sent_at is the same event.
      contentHash: hash('md5', row.doc!, 'hex'),
    },
  };
}
