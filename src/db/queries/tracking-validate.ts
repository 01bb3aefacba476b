/**
 * Validation of raw tracking events, as SQL over a whole chunk at once: one
 * CASE per row names the first problem as array[reason, path, detail]; a row
 * without a problem is typed. Every cast is behind a check, so a bad row can
 * never fail the statement (Postgres 15 has no pg_input_is_valid).
 */
import { KNOWN_FIELDS, MAX_PROPERTIES_CHARS, STRING_FIELDS } from './tracking-rules.js';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const KNOWN = `array[${KNOWN_FIELDS.map(lit).join(', ')}]::text[]`;

/** p->'f', with JSON null read as absent. */
const field = (f: string) => `nullif(p->${lit(f)}, 'null'::jsonb)`;
const str = (f: string) => `(p->>${lit(f)})`;

// ISO 8601 with a zone; day of month checked against the month below.
const ISO = `'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'`;

/** True when the text is an ISO time that the ::timestamptz cast takes. */
export function isIsoTime(expr: string): string {
  return `(case when ${expr} !~ ${ISO} then false
    when substr(${expr}, 1, 4)::int < 1 then false
    else substr(${expr}, 9, 2)::int <= extract(day from make_date(substr(${expr}, 1, 4)::int, substr(${expr}, 6, 2)::int, 1) + interval '1 month - 1 day') end)`;
}

const jtype = (f: string) => `jsonb_typeof(${field(f)})`;
const problem = (reason: string, path: string, detail: string) => `array[${lit(reason)}, ${lit(path)}, ${detail}]`;
const shown = (expr: string) => `left(${expr}, 80)`;

/** The corrected event time: received − (sent − occurred) when sent_at is given. */
export const EVENT_TIME = `(case when ${field('sent_at')} is null then ${str('occurred_at')}::timestamptz
  else received_at - (${str('sent_at')}::timestamptz - ${str('occurred_at')}::timestamptz) end)`;

/** array[reason, path, detail] of the first problem of payload `p` (received at `received_at`), or null. */
export function problemExpression(maxFutureSeconds: number): string {
  const branches: string[] = [
    `when has_body then ${problem('body', '', "''")}`,
    `when jsonb_typeof(p) <> 'object' then ${problem('not_object', '', `'expected a JSON object, got ' || jsonb_typeof(p)`)}`,
    `when (p - ${KNOWN}) <> '{}'::jsonb then array['unknown_field', (select min(k) from jsonb_object_keys(p - ${KNOWN}) k), 'not a field of the event contract']`,
  ];
  for (const f of ['event_id', 'customer_id', 'event_type', 'occurred_at'])
    branches.push(`when ${field(f)} is null then ${problem('missing_field', f, "'required'")}`);
  for (const f of Object.keys(STRING_FIELDS)) {
    branches.push(`when ${jtype(f)} <> 'string' then ${problem('wrong_type', f, `'expected a string, got ' || ${jtype(f)}`)}`);
  }
  branches.push(`when ${jtype('properties')} <> 'object' then ${problem('wrong_type', 'properties', `'expected an object, got ' || ${jtype('properties')}`)}`);
  branches.push(
    `when jsonb_typeof(nullif(p->'properties'->'value', 'null'::jsonb)) <> 'number' then ${problem('wrong_type', 'properties.value', `'expected a number, got ' || jsonb_typeof(p->'properties'->'value')`)}`,
  );
  for (const [f, max] of Object.entries(STRING_FIELDS)) {
    branches.push(`when length(${str(f)}) > ${max} then ${problem('too_large', f, `length(${str(f)}) || ' characters, at most ${max}'`)}`);
  }
  branches.push(
    `when length((p->'properties')::text) > ${MAX_PROPERTIES_CHARS} then ${problem('too_large', 'properties', `length((p->'properties')::text) || ' characters of JSON, at most ${MAX_PROPERTIES_CHARS}'`)}`,
  );
  for (const f of ['event_id', 'customer_id']) branches.push(`when btrim(${str(f)}) = '' then ${problem('invalid_value', f, "'empty'")}`);
  branches.push(
    `when ${str('event_type')} !~ '^[A-Za-z][A-Za-z0-9_.:-]*$' then ${problem('invalid_value', 'event_type', `'letters, digits and _ . : - only, starting with a letter: ' || ${shown(str('event_type'))}`)}`,
  );
  branches.push(
    `when coalesce(nullif(${str('session_id')}, ''), nullif(${str('anonymous_id')}, ''), nullif(${str('user_id')}, '')) is null then ${problem('missing_field', 'session_id', "'one of session_id, anonymous_id or user_id is required'")}`,
  );
  branches.push(
    `when ${str('event_type')} = 'page_view' and coalesce(${str('page_url')}, '') = '' then ${problem('missing_field', 'page_url', "'required for a page_view'")}`,
  );
  for (const f of ['occurred_at', 'sent_at']) {
    branches.push(
      `when ${field(f)} is not null and not ${isIsoTime(str(f))} then ${problem('invalid_time', f, `'not an ISO 8601 time with a zone: ' || ${shown(str(f))}`)}`,
    );
  }
  branches.push(
    `when ${EVENT_TIME} > received_at + interval '${maxFutureSeconds} seconds' then ${problem('future_time', 'occurred_at', `'the event time ' || to_char(${EVENT_TIME} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' is more than ${maxFutureSeconds} s after its arrival'`)}`,
  );
  return `(case ${branches.join('\n    ')} end)`;
}

/** visitor_key: the client's session, else its anonymous id, else its user id (prefixed, so kinds never collide). */
export const VISITOR_KEY = `coalesce('s:' || nullif(${str('session_id')}, ''), 'a:' || nullif(${str('anonymous_id')}, ''), 'u:' || nullif(${str('user_id')}, ''))`;

/** The host of a referrer, without parsing it fully (it may be any text: it is not validated). */
export const REFERRER_HOST = `lower(substring(${str('referrer')} from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)'))`;
