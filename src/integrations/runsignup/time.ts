/**
 * The provider's times: wall-clock text in a named zone (an event's start in
 * its race's zone, everything else US Eastern) or Unix seconds.
 */
import { DateTime, IANAZone } from 'luxon';
import { ValidationError } from '../../core/errors.js';

/** The zone of every provider time that is not an event's start or end. */
export const PROVIDER_ZONE = 'America/New_York';

const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;

/** Zones found valid: luxon asks Intl anew each time, at about half a millisecond. */
const validZones = new Set<string>();

export function isZone(zone: string): boolean {
  if (validZones.has(zone)) return true;
  if (!IANAZone.isValidZone(zone)) return false;
  if (validZones.size < 1000) validZones.add(zone);
  return true;
}

/**
 * 'M/D/YYYY HH:mm' (also with :ss) or 'YYYY-MM-DD HH:mm:ss', wall time in
 * `zone`, → the UTC instant. A wall time that does not exist (the hour skipped
 * when DST starts) moves forward by the gap, as luxon does: 02:30 → 03:30.
 * A wall time that happens twice (the hour repeated when DST ends) is the
 * first of the two, the earlier instant (as Temporal's 'compatible').
 */
export function parseProviderTime(text: string, zone: string): Date {
  const trimmed = String(text).trim();
  const us = US_TIME.exec(trimmed);
  const iso = us ? undefined : ISO_TIME.exec(trimmed);
  if (!us && !iso) throw new ValidationError(`"${trimmed.slice(0, 40)}" is not a time (expected M/D/YYYY HH:mm or YYYY-MM-DD HH:mm:ss)`);
  const [, a, b, c, hour, minute, second] = (us ?? iso)!;
  const [year, month, day] = us ? [c, a, b] : [a, b, c];
  const mm = Number(minute);
  const ss = second === undefined ? 0 : Number(second);
  if (mm > 59 || ss > 59) throw new ValidationError(`"${trimmed}" is not a valid time (minutes and seconds run to 59)`);
  return new Date(hourStart(zone, Number(year), Number(month), Number(day), Number(hour), trimmed) + mm * 60_000 + ss * 1000);
}

/**
 * The instant a wall-clock hour starts in a zone. Asking luxon (which asks
 * Intl) costs tens of microseconds, so each day's UTC offset is cached: on a
 * day whose offset is the same at 00:00 and at 23:00 (every day but the two
 * a year when DST changes) the hour is plain arithmetic; on a changeover day
 * luxon answers for the hour itself. A page of 2500 rows thus asks about once
 * per distinct day instead of once per row.
 */
const dayOffsets = new Map<string, Map<number, number | null>>();
const MAX_CACHED_DAYS = 20_000;

function hourStart(zone: string, year: number, month: number, day: number, hour: number, text: string): number {
  // By zone, then by day as a number: no key text to build per row.
  let days = dayOffsets.get(zone);
  if (!days) {
    days = new Map();
    dayOffsets.set(zone, days);
  }
  const key = year * 10_000 + month * 100 + day;
  let offset = days.get(key);
  if (offset === undefined) {
    if (!isZone(zone)) throw new ValidationError(`"${String(zone).slice(0, 60)}" is not an IANA time zone`);
    const first = DateTime.fromObject({ year, month, day, hour: 0 }, { zone });
    const last = DateTime.fromObject({ year, month, day, hour: 23 }, { zone });
    // A day that does not exist (2/30) is reported below, for the hour asked.
    // A changeover at midnight moves 00:00 itself: such a day is asked hour by hour too.
    offset = first.isValid && last.isValid && first.hour === 0 && first.offset === last.offset ? first.offset : null;
    if (days.size >= MAX_CACHED_DAYS) days.clear();
    days.set(key, offset);
  }
  if (offset !== null && hour <= 23) return Date.UTC(year, month - 1, day, hour) - offset * 60_000;
  // A changeover day: each of its hours asked once (a busy registration day can have thousands of rows).
  const hourKey = key * 100 + hour;
  const known = changeoverHours.get(zone)?.get(hourKey);
  if (known !== undefined) return known;
  let at = DateTime.fromObject({ year, month, day, hour }, { zone });
  if (!at.isValid) throw new ValidationError(`"${text}" is not a valid time (${at.invalidExplanation ?? at.invalidReason})`);
  // luxon takes the later instant in a repeated hour; the earlier one shows the same wall time an hour before.
  const earlier = at.minus({ hours: 1 });
  if (earlier.hour === at.hour && earlier.day === at.day) at = earlier;
  const hours = changeoverHours.get(zone) ?? new Map<number, number>();
  if (hours.size >= MAX_CACHED_DAYS) hours.clear();
  changeoverHours.set(zone, hours.set(hourKey, at.toMillis()));
  return at.toMillis();
}

const changeoverHours = new Map<string, Map<number, number>>();

/** 'MM/DD/YYYY', 'M/D/YYYY' or 'YYYY-MM-DD' → 'YYYY-MM-DD'; ValidationError when it is no calendar day. */
export function parseProviderDate(text: string): string {
  const trimmed = String(text).trim();
  const us = US_DATE.exec(trimmed);
  const iso = us ? undefined : ISO_DATE.exec(trimmed);
  if (!us && !iso) throw new ValidationError(`"${trimmed.slice(0, 40)}" is not a date (expected MM/DD/YYYY or YYYY-MM-DD)`);
  const [, a, b, c] = (us ?? iso)!;
  const [year, month, day] = us ? [Number(c), Number(a), Number(b)] : [Number(a), Number(b), Number(c)];
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new ValidationError(`"${trimmed}" is not a calendar day`);
  }
  // Already 'YYYY-MM-DD' (most dates): as it came, no new text.
  return iso && trimmed.length === 10 ? trimmed : `${year}-${two(month)}-${two(day)}`;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Unix seconds (a number or digits) → Date. */
export function parseUnixSeconds(value: unknown): Date {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 32503680000) throw new ValidationError(`${JSON.stringify(value)} is not a Unix time in seconds`);
  return new Date(Math.round(seconds * 1000));
}
