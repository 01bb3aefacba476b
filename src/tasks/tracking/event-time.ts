/**
 * Event times to the microsecond, as Postgres reads and stores them, without
 * Date (milliseconds only; two-digit years). An instant is whole seconds since
 * 1970 (UTC) and the microseconds within that second. Parsing follows
 * Postgres' timestamptz input for the ISO 8601 forms the contract accepts:
 * the fraction is rounded to microseconds as Postgres does (rint of the
 * decimal times 10⁶, halves to even), the calendar is the proleptic Gregorian.
 */

export interface Instant {
  sec: number;
  us: number;
}

// The forms the contract accepts (ISO 8601 with a zone; the day of the month is checked against the month below).
const ISO =
  /^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(\.[0-9]{1,9})?)?(?:Z|z|([+-])([01][0-9]|2[0-3])(?::?([0-5][0-9]))?)$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC), after H. Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day];
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** C's rint in its default mode: to the nearest integer, halves to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The instant of an ISO 8601 time with a zone, or null when the contract does not accept the text. */
export function parseIsoTime(text: string): Instant | null {
  const m = ISO.exec(text);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1) return null;
  if (day > (month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1])) return null;
  // Postgres: strtod of ".ddd", times 10⁶, rint; 10⁶ itself carries into the seconds.
  const us = m[7] === undefined ? 0 : rint(Number(m[7]) * 1_000_000);
  const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60);
  const sec = daysFromCivil(year, month, day) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6] ?? 0) - offset;
  return normalise(sec, us);
}

function normalise(sec: number, us: number): Instant {
  const carry = Math.floor(us / 1_000_000);
  return { sec: sec + carry, us: us - carry * 1_000_000 };
}

export const plus = (a: Instant, b: Instant): Instant => normalise(a.sec + b.sec, a.us + b.us);
export const minus = (a: Instant, b: Instant): Instant => normalise(a.sec - b.sec, a.us - b.us);
export const after = (a: Instant, b: Instant): boolean => a.sec > b.sec || (a.sec === b.sec && a.us > b.us);
export const seconds = (sec: number): Instant => ({ sec, us: 0 });

/** The earliest instant a timestamptz holds (4714-11-24 00:00 UTC BC); the latest is far beyond any event the pipeline keeps. */
export const EARLIEST: Instant = { sec: daysFromCivil(-4713, 11, 24) * 86400, us: 0 };

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Text Postgres reads back as the same instant, whatever the session's DateStyle: 2026-11-20 10:00:00.123456+00 (BC when before year 1). */
export function formatInstant(t: Instant): string {
  const days = Math.floor(t.sec / 86400);
  const inDay = t.sec - days * 86400;
  const [year, month, day] = civilFromDays(days);
  const time = `${pad(Math.floor(inDay / 3600), 2)}:${pad(Math.floor(inDay / 60) % 60, 2)}:${pad(inDay % 60, 2)}.${pad(t.us, 6)}+00`;
  return year >= 1 ? `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${time}` : `${pad(1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${time} BC`;
}

/** to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'): what a message shows of an event time. */
export function isoSeconds(t: Instant): string {
  return `${formatInstant({ sec: t.sec, us: 0 }).slice(0, -10).replace(' ', 'T')}Z`;
}
