/** Settings of `ops serve`, declared like every other (a bad one is exit 78 naming the variable). */
import { settings, type SettingsOf } from '../core/config.js';

function origins(raw: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error('expected a comma-separated list of origins (https://shop.example) or *');
    }
    if (url.origin !== origin.replace(/\/$/, '')) throw new Error('expected origins without a path (https://shop.example), comma-separated, or *');
  }
  return list.map((o) => o.replace(/\/$/, ''));
}

export const serveSettings = {
  adminToken: settings.secret('OPS_ADMIN_TOKEN', 'Bearer token of the admin endpoints (/api/v1/status, /api/v1/runs); unset: they are off', {
    example: 'a long random string',
  }),
  corsOrigins: {
    name: 'OPS_CORS_ORIGINS',
    description: 'site origins whose browsers may send events (comma-separated, or *); unset: no CORS headers',
    parse: origins,
    default: [] as string[],
    example: 'https://one-spa.example,https://www.one-spa.example',
  },
  keyRate: settings.int(
    'OPS_INGEST_RATE_PER_KEY',
    'events per second one write key may send (a burst of one second is allowed); past it 429 with Retry-After; 0 = no limit',
    { min: 0, max: 10_000_000 },
    { default: 10_000 },
  ),
  flushMs: settings.int('OPS_INGEST_FLUSH_MS', 'longest an accepted event waits in the buffer before its insert', { min: 0, max: 1000 }, { default: 10 }),
  flushRows: settings.int('OPS_INGEST_FLUSH_ROWS', 'events that make the buffer flush at once', { min: 1, max: 20_000 }, { default: 2_000 }),
  flushConcurrency: settings.int('OPS_INGEST_FLUSH_CONCURRENCY', 'inserts in flight at once', { min: 1, max: 8 }, { default: 3 }),
  keyCacheSeconds: settings.number(
    'OPS_INGEST_KEY_CACHE_SECONDS',
    'how long a valid write key is remembered without asking the database (a revocation takes at most this long)',
    { min: 0, max: 3600 },
    { default: 5 },
  ),
  startReportSeconds: settings.int(
    'OPS_SERVE_START_TIMEOUT_SECONDS',
    "Postgres: how long a request that starts a run waits for the run's process to report that it started (or was skipped); past it 504, and the run goes on",
    { min: 1, max: 3600 },
    { default: 15 },
  ),
  processing: settings.bool('OPS_TRACK_PROCESSING', 'run process-tracking in the background after events arrive', { default: true }),
  processDebounceMs: settings.int(
    'OPS_TRACK_PROCESS_DEBOUNCE_MS',
    'quiet time after the last accepted event before background process-tracking starts (/track starts it at once)',
    { min: 0, max: 600_000 },
    { default: 2_000 },
  ),
};

export type ServeConfig = SettingsOf<typeof serveSettings>;
