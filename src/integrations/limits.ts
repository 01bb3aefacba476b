/**
 * The documented maximum of every text we take in from outside: LLM answers,
 * location API records, settings. One place, so that the README can list
 * them. A longer value is a validation failure of its item (the event is
 * dropped, the center fails), except where a field says it is truncated.
 * Lengths are in characters (UTF-16 code units), sizes in bytes.
 */

/** One event of an LLM answer. `description` is truncated, not refused. */
export const EVENT_LIMITS = {
  name: 300,
  venue: 300,
  address: 500,
  city: 200,
  url: 2048,
  category: 50,
  description: 2000,
} as const;

/** One center record of the location API. */
export const CENTER_LIMITS = {
  center_id: 100,
  center_name: 300,
  slug: 200,
  zip_code: 20,
  city: 200,
  state: 100,
  country: 100,
  owner_email: 320,
  /** The whole record as JSON (it is stored as location_data). */
  record_bytes: 64 * 1024,
} as const;

/**
 * Future integrations (participants, site-tracking events): a text field with
 * no maximum of its own here is refused beyond TEXT_DEFAULT_MAX; these are
 * the maxima to apply when those parsers are written.
 */
export const PARTICIPANT_LIMITS = {
  first_name: 100,
  last_name: 100,
  email: 320,
  city: 200,
  state: 100,
  country: 100,
  zip_code: 20,
  bib: 50,
  gender: 20,
  team: 300,
} as const;
export const TRACKING_EVENT_LIMITS = {
  event_name: 200,
  session_id: 200,
  user_id: 200,
  page_url: 2048,
  referrer: 2048,
  user_agent: 1000,
  payload_bytes: 64 * 1024,
} as const;
export const TEXT_DEFAULT_MAX = 1000;

/** A rendered prompt (system + user) longer than this fails its center before any call. */
export const PROMPT_MAX_CHARS = 32_000;
/** LLM_PROMPT_FILE: a regular file of at most this many bytes. */
export const PROMPT_FILE_MAX_BYTES = 64 * 1024;
/** LLM_PRICES: dollars per million tokens, each price in 0..this. */
export const PRICE_MAX_PER_MILLION = 10_000;
/** How much of a rejected slug-list entry is shown in its reason. */
export const ENTRY_PREVIEW_CHARS = 100;
