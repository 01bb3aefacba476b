/**
 * Validation of the provider's records, one at a time: a record that does
 * not validate becomes a Rejected entry with its reason, and the rest of the
 * page is kept. A body that is not the documented shape at all is a
 * MalformedAnswer (the whole call failed).
 */
import { ValidationError } from '../../core/errors.js';
import { asFields, converted, id, optionalId, optionalObject, reasonOf, text } from './fields.js';
import { parseMoney, parseParticipant } from './participant.js';
import { isZone, parseProviderDate, parseProviderTime, parseUnixSeconds, PROVIDER_ZONE } from './time.js';
import type { Race, RaceEvent, Rejected, RemovedParticipant } from './types.js';

/** The body is not what the endpoint documents (not JSON, not an array, …). */
export class MalformedAnswer extends Error {}

function parseEvent(raw: unknown, raceId: number, zone: string): RaceEvent {
  const e = asFields(raw, 'event');
  return {
    eventId: id(e.event_id, 'event_id'),
    raceId,
    name: text(e.name, 'name', 300) ?? '',
    startTime: converted(text(e.start_time, 'start_time', 40), 'start_time', (v) => parseProviderTime(v, zone)),
    endTime: converted(text(e.end_time, 'end_time', 40), 'end_time', (v) => parseProviderTime(v, zone)),
    eventType: text(e.event_type, 'event_type', 100),
    distance: text(e.distance, 'distance', 100),
    raw: e,
  };
}

/** One race entry ({"race": {…}} or the race itself) with its valid events; its bad events go to `rejected`. */
export function parseRace(entry: unknown, rejected: Rejected[], where: string): Race | undefined {
  const raw = entry && typeof entry === 'object' && 'race' in entry ? (entry as { race: unknown }).race : entry;
  const rawId = raw && typeof raw === 'object' ? (raw as { race_id?: unknown }).race_id : undefined;
  const item = typeof rawId === 'number' || typeof rawId === 'string' ? `race ${String(rawId).slice(0, 20)}` : where;
  try {
    const r = asFields(raw, 'race');
    const raceId = id(r.race_id, 'race_id');
    // The provider's own zone when the race names none.
    const timezone = text(r.timezone, 'timezone', 64) ?? PROVIDER_ZONE;
    if (!isZone(timezone)) throw new ValidationError(`timezone "${timezone}" is not an IANA time zone`);
    if (r.events !== undefined && r.events !== null && !Array.isArray(r.events)) throw new ValidationError('events must be a list');
    const race: Race = {
      raceId,
      name: text(r.name, 'name', 300) ?? '',
      timezone,
      nextDate: converted(text(r.next_date, 'next_date', 20), 'next_date', parseProviderDate),
      nextEndDate: converted(text(r.next_end_date, 'next_end_date', 20), 'next_end_date', parseProviderDate),
      lastModified: converted(text(r.last_modified, 'last_modified', 40), 'last_modified', (v) => parseProviderTime(v, PROVIDER_ZONE)),
      address: optionalObject(r.address, 'address'),
      events: [],
      raw: r,
    };
    ((r.events as unknown[] | null | undefined) ?? []).forEach((rawEvent, i) => {
      try {
        race.events.push(parseEvent(rawEvent, race.raceId, timezone));
      } catch (err) {
        const eventId = (rawEvent as { event_id?: unknown } | null)?.event_id;
        const name = typeof eventId === 'number' || typeof eventId === 'string' ? `event ${String(eventId).slice(0, 20)}` : `event #${i + 1}`;
        rejected.push({ item: `${name} of race ${race.raceId}`, reason: reasonOf(err) });
      }
    });
    return race;
  } catch (err) {
    rejected.push({ item, reason: reasonOf(err) });
    return undefined;
  }
}

/** `{"races": [...]}` → the entries; anything else is not the documented answer. */
export function raceEntries(body: unknown): unknown[] {
  const races = body && typeof body === 'object' && !Array.isArray(body) ? (body as { races?: unknown }).races : undefined;
  if (races === undefined || races === null) {
    // An empty listing may come without the key.
    if (body && typeof body === 'object' && !Array.isArray(body)) return [];
    throw new MalformedAnswer('expected {"races": […]}');
  }
  if (!Array.isArray(races)) throw new MalformedAnswer('"races" is not an array');
  return races;
}

/** `[{"event": {…}, "participants": [...]}]` (or the rows inside "event" for removals) → the rows of `eventId`. */
export function eventRows(body: unknown, eventId: number, inside: 'beside' | 'inside'): unknown[] {
  if (!Array.isArray(body)) throw new MalformedAnswer('expected a JSON array of events');
  const entries = body.filter((e) => e && typeof e === 'object') as Array<{ event?: { event_id?: unknown; participants?: unknown }; participants?: unknown }>;
  const mine = entries.find((e) => Number(e.event?.event_id) === eventId) ?? (entries.length === 1 ? entries[0] : undefined);
  if (!mine) return [];
  const rows = inside === 'inside' ? (mine.event?.participants ?? mine.participants) : mine.participants;
  if (rows === undefined || rows === null) return [];
  if (!Array.isArray(rows)) throw new MalformedAnswer('"participants" is not an array');
  return rows;
}

export { parseMoney };

function rowItem(raw: unknown, index: number, page: number, noun: string): string {
  const rid = raw && typeof raw === 'object' ? (raw as { registration_id?: unknown }).registration_id : undefined;
  if ((typeof rid === 'number' && Number.isSafeInteger(rid)) || (typeof rid === 'string' && /^\d{1,15}$/.test(rid.trim())))
    return `registration ${String(rid).trim()}`;
  return `${noun} #${index + 1} of page ${page}`;
}

function parseRemoved(raw: unknown): RemovedParticipant {
  const r = asFields(raw, 'record');
  const user = optionalObject(r.user, 'user');
  let userId: number | null = null;
  try {
    userId = optionalId(user?.user_id, 'user.user_id');
  } catch {
    // A removal is recorded whatever its user id looks like: the registration id is what counts.
  }
  // last_modified_ts is exact; the text is US Eastern wall time and only the fallback.
  const lastModified =
    r.last_modified_ts !== undefined && r.last_modified_ts !== null && r.last_modified_ts !== ''
      ? converted(r.last_modified_ts, 'last_modified_ts', parseUnixSeconds)
      : converted(text(r.last_modified, 'last_modified', 40), 'last_modified', (v) => parseProviderTime(v, PROVIDER_ZONE));
  return {
    registrationId: id(r.registration_id, 'registration_id'),
    userId,
    lastModified,
    reason: text(r.removed_reason, 'removed_reason', 100) ?? 'removed',
    newRegistrationId: optionalId(r.new_registration_id, 'new_registration_id'),
  };
}

/** Validates each row of a page; a bad row is a Rejected entry, the others are kept in order. */
export function parseRows<T>(rows: unknown[], page: number, kind: 'participant' | 'removed'): { valid: T[]; rejected: Rejected[] } {
  const valid: T[] = [];
  const rejected: Rejected[] = [];
  const parse = (kind === 'participant' ? parseParticipant : parseRemoved) as (raw: unknown) => T;
  rows.forEach((raw, i) => {
    try {
      valid.push(parse(raw));
    } catch (err) {
      rejected.push({ item: rowItem(raw, i, page, kind === 'participant' ? 'participant' : 'removed participant'), reason: reasonOf(err) });
    }
  });
  return { valid, rejected };
}
