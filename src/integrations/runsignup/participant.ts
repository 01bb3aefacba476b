/**
 * Validation of one participant row (the field rules are in fields.ts): a row
 * that breaks one throws a ValidationError naming the field.
 */
import { ValidationError } from '../../core/errors.js';
import { PARTICIPANT_LIMITS } from '../limits.js';
import { asFields, converted, type Fields, id, json, optionalId, optionalObject, text } from './fields.js';
import { parseProviderDate, parseProviderTime, parseUnixSeconds, PROVIDER_ZONE } from './time.js';
import type { Participant } from './types.js';

/** An object or nothing, read as {} when nothing. */
function optionalFields(value: unknown, name: string): Fields {
  return optionalObject(value, name) ?? {};
}

function age(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 150) return value;
  if (typeof value === 'string' && /^\d{1,3}$/.test(value.trim())) return Number(value.trim());
  throw new ValidationError(`age must be a whole number from 0 to 150 (got ${JSON.stringify(value).slice(0, 40)})`);
}

/** "$45.00", "45.00", "$1,045.5", 45 → "45.00", "1045.5"; empty → null. */
export function parseMoney(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError('amount_paid must be text or a number');
  const s = String(value)
    .trim()
    .replace(/^\$\s*/, '')
    .replace(/,/g, '');
  if (s === '') return null;
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new ValidationError(`amount_paid: ${JSON.stringify(String(value).slice(0, 40))} is not an amount`);
  return s;
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
    lastModified: converted(p.last_modified, 'last_modified', parseUnixSeconds),
    amountPaid: parseMoney(p.amount_paid),
    teamInfo: json(p.team_info, 'team_info'),
    city: text(address.city, 'user.address.city', L.city),
    state: text(address.state, 'user.address.state', L.state),
    zipcode: text(address.zipcode, 'user.address.zipcode', L.zip_code),
    countryCode: text(address.country_code, 'user.address.country_code', L.country),
  };
}
