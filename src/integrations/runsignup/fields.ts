/**
 * The field rules every provider record is validated with, by hand rather
 * than with a schema library: a million-row backfill validates every row, and
 * a schema's closures and issue objects cost about 20 µs and a page of
 * garbage per row (scripts/bench/backfill.mjs). Each rule throws a
 * ValidationError naming the field.
 */
import { ValidationError } from '../../core/errors.js';
import { TEXT_DEFAULT_MAX } from '../limits.js';

export type Fields = Record<string, unknown>;

export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

export function asFields(value: unknown, name: string): Fields {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Fields;
  throw new ValidationError(`${name} must be a JSON object (got ${kindOf(value)})`);
}

/** An object or nothing (null, absent, or the empty array PHP sends for an empty object) → the object or null. */
export function optionalObject(value: unknown, name: string): Fields | null {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return null;
  return asFields(value, name);
}

/** A positive integer id, sent as a number or as digits. */
export function id(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d{1,15}$/.test(s) && Number(s) > 0) return Number(s);
  }
  throw new ValidationError(`${name} must be a numeric id (got ${JSON.stringify(value)?.slice(0, 40) ?? 'nothing'})`);
}

export function optionalId(value: unknown, name: string): number | null {
  return value === undefined || value === null || value === '' ? null : id(value, name);
}

const NUL_REASON = 'contains a NUL character (\\u0000), which the database cannot store';

/**
 * Free text, numbers accepted as text; empty → null; longer than `max` → refused;
 * with a NUL character → refused here, as no Postgres text can hold one (the
 * database would refuse the whole page).
 */
export function text(value: unknown, name: string, max: number = TEXT_DEFAULT_MAX): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError(`${name} must be text (got ${kindOf(value)})`);
  const s = typeof value === 'string' ? value.trim() : String(value);
  if (s.length > max) throw new ValidationError(`${name} is longer than ${max} characters (${s.length})`);
  if (s.includes('\u0000')) throw new ValidationError(`${name} ${NUL_REASON}`);
  return s === '' ? null : s;
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasNul);
  for (const [key, v] of Object.entries(value)) if (key.includes('\u0000') || hasNul(v)) return true;
  return false;
}

/** Any JSON value kept as JSON (jsonb, which cannot hold a NUL character either); refused when it has one, in a key or a text. */
export function json(value: unknown, name: string): unknown {
  if (value === undefined || value === null) return null;
  if (hasNul(value)) throw new ValidationError(`${name} ${NUL_REASON}`);
  return value;
}

/** A text or number field through a conversion, naming the field when either fails. */
export function converted<T>(value: unknown, name: string, convert: (v: string) => T): T | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw new ValidationError(`${name} must be text or a number (got ${kindOf(value)})`);
  try {
    return convert(String(value));
  } catch (err) {
    throw new ValidationError(`${name}: ${reasonOf(err)}`);
  }
}
