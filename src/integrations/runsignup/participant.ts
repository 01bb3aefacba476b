/**
 * Validation of one participant row, written by hand rather than with a zod
 * schema: a million-row backfill validates every row, and the schema's
 * per-field closures and issue objects cost about 20 µs and a page of garbage
 * per row, most of the client's time (scripts/bench/backfill.mjs). The rules
 * are the ones the other records' schemas in parse.ts apply; a row that
 * breaks one throws a ValidationError naming the field.
 */
import { ValidationError } from '../../core/errors.js';
import { PARTICIPANT_LIMITS } from '../limits.js';
import { parseProviderDate, parseProviderTime, parseUnixSeconds, PROVIDER_ZONE } from './time.js';
import type { Participant } from './types.js';

type Fields = Record<string, unknown>;

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function asFields(value: unknown, name: string): Fields {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Fields;
  throw new ValidationError(`${name} must be a JSON object (got ${kindOf(value)})`);
}

/** An object, or nothing: null, absent and the empty array PHP sends for an empty object all read as {}. */
function optionalFields(value: unknown, name: string): Fields {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return {};
  return asFields(value, name);
}

/** A positive integer id, sent as a number or as digits. */
function id(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d{1,15}$/.test(s) && Number(s) > 0) return Number(s);
  }
  throw new ValidationError(`${name} must be a numeric id (got ${JSON.stringify(value)?.slice(0, 40) ?? 'nothing'})`);
}

function optionalId(value: unknown, name: string): number | null {
  return value === undefined || value === null || value === '' ? null : id(value, name);
}

/** Free text, numbers accepted as text; empty → null; longer than `max` → refused. */
function text(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError(`${name} must be text (got ${kindOf(value)})`);
  const s = typeof value === 'string' ? value.trim() : String(value);
  if (s.length > max) throw new ValidationError(`${name} is longer than ${max} characters (${s.length})`);
  return s === '' ? null : s;
}

function age(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 150) return value;
  if (typeof value === 'string' && /^\d{1,3}$/.test(value.trim())) return Number(value.trim());
  throw new ValidationError(`age must be a whole number from 0 to 150 (got ${JSON.stringify(value).slice(0, 40)})`);
}

/** A converted field, naming the field when the conversion fails. */
function converted<T>(value: unknown, name: string, convert: (v: string) => T): T | null {
  if (value === undefined || value === null || value === '') return null;
  try {
    return convert(String(value));
  } catch (err) {
    throw new ValidationError(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** "$45.00", "45.00", "$1,045.5", 45 → "45.00", "1045.5"; empty → null. */
export function parseMoney(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError(`amount_paid must be text or a number (got ${kindOf(value)})`);
  const s = String(value)
    .trim()
    .replace(/^\$\s*/, '')
    .replace(/,/g, '');
  if (s === '') return null;
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new ValidationError(`amount_paid: ${JSON.stringify(String(value).slice(0, 40))} is not an amount`);
  return s;
}

function lastModified(value: unknown): Date | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError(`last_modified must be Unix seconds (got ${kindOf(value)})`);
  return converted(value, 'last_modified', parseUnixSeconds);
}

export function parseParticipant(raw: unknown): Participant {
  const p = asFields(raw, 'record');
  const registrationId = id(p.registration_id, 'registration_id');
  const user = optionalFields(p.user, 'user');
  const address = optionalFields(user.address, 'user.address');
  const L = PARTICIPANT_LIMITS;
  return {
    registrationId,
    userId: optionalId(user.user_id, 'user.user_id'),
    firstName: text(user.first_name, 'user.first_name', L.first_name),
    lastName: text(user.last_name, 'user.last_name', L.last_name),
    email: text(user.email, 'user.email', L.email),
    dob: converted(text(user.dob, 'user.dob', 20), 'user.dob', parseProviderDate),
    gender: text(user.gender, 'user.gender', L.gender),
    age: age(p.age),
    bibNum: text(p.bib_num, 'bib_num', L.bib),
    chipNum: text(p.chip_num, 'chip_num', L.bib),
    registrationDate: converted(text(p.registration_date, 'registration_date', 40), 'registration_date', (v) => parseProviderTime(v, PROVIDER_ZONE)),
    lastModified: lastModified(p.last_modified),
    amountPaid: parseMoney(p.amount_paid),
    teamInfo: p.team_info ?? null,
    city: text(address.city, 'user.address.city', L.city),
    state: text(address.state, 'user.address.state', L.state),
    zipcode: text(address.zipcode, 'user.address.zipcode', L.zip_code),
    countryCode: text(address.country_code, 'user.address.country_code', L.country),
  };
}
