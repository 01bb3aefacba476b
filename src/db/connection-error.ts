/**
 * Why a Postgres connection could not be made, in the words an operator needs:
 * the variable to look at, the cause, never the password. The server that
 * answers and refuses (no such database or role, wrong password) means a
 * setting is wrong: exit 78. No answer (refused, timed out, unknown host) may
 * pass by itself: a failed run, exit 1.
 */
import { ConfigError, OpsError } from '../core/errors.js';
import { redact } from '../core/redact.js';

// Postgres answered and refused: a setting is wrong (no such database or role, bad password, not allowed).
const REFUSED_CODES: Record<string, string> = {
  '3D000': 'no such database',
  '28000': 'no such role, or not allowed to connect',
  '28P01': 'wrong password',
  '42501': 'not allowed to connect',
};

/** Why the connection failed, naming DATABASE_URL; a ConfigError (exit 78) when the server refused us. */
export function connectionError(url: string, err: unknown): OpsError {
  const code = (err as { code?: string } | null)?.code ?? '';
  const cause = redact((err as Error)?.message ?? String(err));
  const refused = REFUSED_CODES[code];
  if (refused) return new ConfigError('DATABASE_URL', `cannot connect to the database at ${redact(url)} (DATABASE_URL): ${refused}: ${cause}`);
  return new OpsError(`cannot connect to the database at ${redact(url)} (DATABASE_URL): ${cause || code || 'no answer'}`);
}
