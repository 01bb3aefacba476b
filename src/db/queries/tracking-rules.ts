/**
 * The tracking event contract, in one place: the fields an event may carry,
 * their limits, and the fixed list of quarantine reasons (the README lists the
 * same). The staging SQL and the task both read it.
 */

export const QUARANTINE_REASONS = {
  invalid_encoding: 'the bytes are not UTF-8, or hold \\u0000 / an unpaired surrogate that Postgres JSON cannot store',
  not_json: 'the body is not JSON',
  not_object: 'the JSON is not an object',
  unknown_field: 'a top-level field outside the contract',
  missing_field: 'a required field is absent or null',
  wrong_type: 'a field has the wrong JSON type',
  too_large: 'a string or the properties object is over its size limit',
  invalid_value: 'a field is empty or malformed (event_type characters, …)',
  invalid_time: 'occurred_at or sent_at is not an ISO 8601 time with a zone, or the skew-corrected time is out of range',
  future_time: 'the event time is further in the future than TRACKING_MAX_FUTURE_SECONDS',
  invalid_url: 'page_url is not an http(s) URL',
  conflict: 'the same customer_id and event_id arrived before with different content',
} as const;

export type QuarantineReason = keyof typeof QUARANTINE_REASONS;

export const STRING_FIELDS = {
  event_id: 128,
  customer_id: 128,
  event_type: 64,
  occurred_at: 64,
  sent_at: 64,
  session_id: 128,
  anonymous_id: 128,
  user_id: 128,
  page_url: 2048,
  referrer: 2048,
  user_agent: 1024,
} as const;

export const KNOWN_FIELDS = [...Object.keys(STRING_FIELDS), 'properties'];

/** The properties object as JSON text, at most this many characters. */
export const MAX_PROPERTIES_CHARS = 8192;

/** Event types that are not conversions (the last four: Segment's screen, identify, group and alias calls); every other type is one (form_submit, appointment_booked, …). */
export const NON_CONVERSION_TYPES = ['page_view', 'click', 'screen_view', 'identify', 'group', 'alias'];

/** The 30-minute inactivity rule. */
export const SESSION_GAP_MINUTES = 30;
