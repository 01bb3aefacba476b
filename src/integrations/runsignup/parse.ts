/**
 * Validation of the provider's records, one at a time: a record that does
 * not validate becomes a Rejected entry with its reason, and the rest of the
 * page is kept. A body that is not the documented shape at all is a
 * MalformedAnswer (the whole call failed).
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { TEXT_DEFAULT_MAX } from '../limits.js';
import { parseMoney, parseParticipant } from './participant.js';
import { isZone, parseProviderDate, parseProviderTime, parseUnixSeconds, PROVIDER_ZONE } from './time.js';
import type { Race, RaceEvent, Rejected, RemovedParticipant } from './types.js';

/** The body is not what the endpoint documents (not JSON, not an array, …). */
export class MalformedAnswer extends Error {}

/** A positive integer id, sent as a number or as digits. */
const id = z.union([z.number().int().positive(), z.string().trim().regex(/^\d+$/, 'must be a numeric id').transform(Number)]);
const optionalId = z
  .union([id, z.null(), z.literal('')])
  .optional()
  .transform((v) => (v === undefined || v === null || v === '' ? null : v));

/** Free text, numbers accepted as text; empty → null; longer than `max` → an issue. */
function text(max: number = TEXT_DEFAULT_MAX) {
  return z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === null) return null;
      const s = String(v).trim();
      if (s.length > max) {
        ctx.addIssue({ code: 'custom', message: `is longer than ${max} characters (${s.length})` });
        return z.NEVER;
      }
      return s === '' ? null : s;
    });
}
const object = z.record(z.string(), z.unknown());
const optionalObject = z
  .union([object, z.null(), z.array(z.never())])
  .optional()
  .transform((v) => (v && !Array.isArray(v) ? v : null));

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'record'} ${issue.message}` : 'invalid record';
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a conversion of one field, naming the field when it fails. */
function field<T>(name: string, value: unknown, convert: (v: string) => T): T | null {
  if (value === undefined || value === null || value === '') return null;
  try {
    return convert(String(value));
  } catch (err) {
    throw new ValidationError(`${name}: ${reasonOf(err)}`);
  }
}

const eventSchema = z
  .object({
    event_id: id,
    name: text(300).transform((v) => v ?? ''),
    start_time: text(40),
    end_time: text(40),
    event_type: text(100),
    distance: text(100),
  })
  .passthrough();

const raceSchema = z
  .object({
    race_id: id,
    name: text(300).transform((v) => v ?? ''),
    timezone: text(64),
    next_date: text(20),
    next_end_date: text(20),
    last_modified: text(40),
    address: optionalObject,
    events: z.array(z.unknown()).optional().nullable(),
  })
  .passthrough();

function parseEvent(raw: unknown, raceId: number, zone: string): RaceEvent {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(firstIssue(parsed.error));
  const e = parsed.data;
  return {
    eventId: e.event_id,
    raceId,
    name: e.name,
    startTime: field('start_time', e.start_time, (v) => parseProviderTime(v, zone)),
    endTime: field('end_time', e.end_time, (v) => parseProviderTime(v, zone)),
    eventType: e.event_type,
    distance: e.distance,
    raw: raw as Record<string, unknown>,
  };
}

/** One race entry ({"race": {…}} or the race itself) with its valid events; its bad events go to `rejected`. */
export function parseRace(entry: unknown, rejected: Rejected[], where: string): Race | undefined {
  const raw = entry && typeof entry === 'object' && 'race' in entry ? (entry as { race: unknown }).race : entry;
  const rawId = raw && typeof raw === 'object' ? (raw as { race_id?: unknown }).race_id : undefined;
  const item = typeof rawId === 'number' || typeof rawId === 'string' ? `race ${String(rawId).slice(0, 20)}` : where;
  try {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('not a JSON object');
    const parsed = raceSchema.safeParse(raw);
    if (!parsed.success) throw new ValidationError(firstIssue(parsed.error));
    const r = parsed.data;
    // The provider's own zone when the race names none.
    const timezone = r.timezone ?? PROVIDER_ZONE;
    if (!isZone(timezone)) throw new ValidationError(`timezone "${timezone}" is not an IANA time zone`);
    const race: Race = {
      raceId: r.race_id,
      name: r.name,
      timezone,
      nextDate: field('next_date', r.next_date, parseProviderDate),
      nextEndDate: field('next_end_date', r.next_end_date, parseProviderDate),
      lastModified: field('last_modified', r.last_modified, (v) => parseProviderTime(v, PROVIDER_ZONE)),
      address: r.address,
      events: [],
      raw: raw as Record<string, unknown>,
    };
    (r.events ?? []).forEach((rawEvent, i) => {
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

function asObject(raw: unknown): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('not a JSON object');
  return raw as Record<string, unknown>;
}

const removedSchema = z
  .object({
    registration_id: id,
    last_modified: text(40),
    last_modified_ts: z.union([z.number(), z.string(), z.null()]).optional(),
    removed_reason: text(100),
    new_registration_id: optionalId,
    user: optionalObject,
  })
  .passthrough();

function parseRemoved(raw: unknown): RemovedParticipant {
  const parsed = removedSchema.safeParse(asObject(raw));
  if (!parsed.success) throw new ValidationError(firstIssue(parsed.error));
  const r = parsed.data;
  const userId = optionalId.safeParse((r.user as { user_id?: unknown } | null)?.user_id);
  // last_modified_ts is exact; the text is US Eastern wall time and only the fallback.
  const lastModified =
    r.last_modified_ts !== undefined && r.last_modified_ts !== null && r.last_modified_ts !== ''
      ? field('last_modified_ts', r.last_modified_ts, parseUnixSeconds)
      : field('last_modified', r.last_modified, (v) => parseProviderTime(v, PROVIDER_ZONE));
  return {
    registrationId: r.registration_id,
    userId: userId.success ? userId.data : null,
    lastModified,
    reason: r.removed_reason ?? 'removed',
    newRegistrationId: r.new_registration_id,
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
