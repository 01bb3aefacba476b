/** Settings every run reads, whatever the task. */
import { settings } from './config.js';

// ISO 8601 date-time with a zone: a bare "2" or a date alone is refused, not guessed at.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function parseInstant(raw: string): Date {
  const value = raw.trim();
  const date = new Date(value);
  // Date accepts 2026-02-31; the round trip of the day catches it.
  const sameDay =
    !Number.isNaN(date.getTime()) &&
    value.slice(0, 10) === new Date(Date.UTC(+value.slice(0, 4), +value.slice(5, 7) - 1, +value.slice(8, 10))).toISOString().slice(0, 10);
  if (!ISO_DATE_TIME.test(value) || !sameDay) throw new Error('expected an ISO 8601 date-time with a zone, e.g. 2026-11-25T02:00:00Z');
  return date;
}

export const runtimeSettings = {
  databaseUrl: settings.url('DATABASE_URL', 'Postgres connection string; unset means the embedded database under OPS_DATA_DIR', {
    protocols: ['postgres:', 'postgresql:'],
    example: 'postgres://ops:secret@db.internal:5432/ops',
  }),
  dataDir: settings.string('OPS_DATA_DIR', 'folder of the embedded database and local state', { default: './data' }),
  outputDir: settings.string('OPS_OUTPUT_DIR', 'folder for CSV files and other outputs', { default: './output' }),
  env: settings.oneOf(
    'OPS_ENV',
    'deployment kind: development logs at debug level and prints stack traces of internal errors',
    ['production', 'development'] as const,
    { default: 'production' },
  ),
  lockWaitSeconds: settings.number(
    'OPS_LOCK_WAIT_SECONDS',
    'how long a run waits for a lock held by another run before it records skipped',
    { min: 0, max: 3600 },
    { default: 5 },
  ),
  lockStaleSeconds: settings.number(
    'OPS_LOCK_STALE_SECONDS',
    "the embedded database's lock, when unreadable or held from another host, is taken over once not refreshed for this long (its holder refreshes it every quarter of it)",
    { min: 1, max: 86_400 },
    { default: 60 },
  ),
  busyFailSeconds: settings.number(
    'OPS_BUSY_FAIL_SECONDS',
    'a run that finds the embedded database busy, and it has been busy (runs skipped) for longer than this, fails (exit 1) instead of recording skipped',
    { min: 0, max: 30 * 86_400 },
    { default: 7200 },
  ),
  now: {
    name: 'OPS_NOW',
    description: 'a fixed "now" for tests and replays (ISO 8601 date-time, e.g. 2026-11-25T02:00:00Z); unset means the system clock',
    parse: parseInstant,
  },
  autoMigrate: settings.bool('OPS_AUTO_MIGRATE', 'apply pending migrations before a task runs', { default: true }),
  logLevel: settings.oneOf('OPS_LOG_LEVEL', 'least severe log level written', ['debug', 'info', 'warn', 'error'] as const, { default: 'info' }),
};
