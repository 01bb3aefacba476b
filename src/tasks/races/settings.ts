/** Settings of the race tasks (discover-events, sync-event): the provider, its budget, the sync tiers. */
import { settings, type SettingsOf } from '../../core/config.js';

export const providerSettings = {
  baseUrl: settings.url('RUNSIGNUP_BASE_URL', 'race provider (RunSignUp) base URL', { default: 'https://runsignup.com' }),
  callsPerHour: settings.int(
    'RUNSIGNUP_CALLS_PER_HOUR',
    'API calls per credential in any rolling hour, counted across processes',
    { min: 1, max: 1_000_000 },
    { default: 1000 },
  ),
  timeoutSeconds: settings.number('RUNSIGNUP_TIMEOUT_SECONDS', 'timeout of one call', { min: 1, max: 600 }, { default: 60 }),
  attempts: settings.int('RUNSIGNUP_ATTEMPTS', 'attempts per call (network errors, 5xx, throttling)', { min: 1, max: 10 }, { default: 4 }),
  pageSize: settings.int('RUNSIGNUP_PAGE_SIZE', 'participants per page (the provider allows at most 2500)', { min: 1, max: 2500 }, { default: 2500 }),
  overlapSeconds: settings.int(
    'RUNSIGNUP_OVERLAP_SECONDS',
    'the bookmark is the start of the last completed sync minus this much (modified_after is inclusive; rows are deduped)',
    { min: 0, max: 86_400 },
    { default: 120 },
  ),
  leaseSeconds: settings.int(
    'SYNC_EVENT_LEASE_SECONDS',
    'how long a process holds an event it syncs before another may take it over',
    { min: 30, max: 86_400 },
    { default: 300 },
  ),
};

export const tierSettings = {
  nearHours: settings.number(
    'SYNC_TIER_NEAR_HOURS',
    'an event starting within this many hours syncs at the near interval',
    { min: 0, max: 8760 },
    { default: 24 },
  ),
  imminentHours: settings.number(
    'SYNC_TIER_IMMINENT_HOURS',
    'an event starting within this many hours syncs at the imminent interval',
    { min: 0, max: 8760 },
    { default: 4 },
  ),
  farIntervalMinutes: settings.number(
    'SYNC_TIER_FAR_INTERVAL_MINUTES',
    'sync interval of an event further than SYNC_TIER_NEAR_HOURS',
    { min: 0, max: 100_000 },
    { default: 240 },
  ),
  nearIntervalMinutes: settings.number(
    'SYNC_TIER_NEAR_INTERVAL_MINUTES',
    'sync interval within SYNC_TIER_NEAR_HOURS',
    { min: 0, max: 100_000 },
    { default: 15 },
  ),
  imminentIntervalMinutes: settings.number(
    'SYNC_TIER_IMMINENT_INTERVAL_MINUTES',
    'sync interval within SYNC_TIER_IMMINENT_HOURS',
    { min: 0, max: 100_000 },
    { default: 1 },
  ),
  farMax: settings.int('SYNC_TIER_FAR_MAX', 'most far events synced per run', { min: 0, max: 100_000 }, { default: 10 }),
  nearMax: settings.int('SYNC_TIER_NEAR_MAX', 'most near events synced per run', { min: 0, max: 100_000 }, { default: 20 }),
  imminentMax: settings.int('SYNC_TIER_IMMINENT_MAX', 'most imminent events synced per run', { min: 0, max: 100_000 }, { default: 50 }),
  stopAfterStartMinutes: settings.number(
    'SYNC_STOP_AFTER_START_MINUTES',
    'an event is no longer synced this long after its start',
    { min: 0, max: 100_000 },
    { default: 60 },
  ),
  dueSlackSeconds: settings.number(
    'SYNC_DUE_SLACK_SECONDS',
    'an event is due this much before its interval has fully passed, so a 1-minute tier run by cron every minute never skips a minute',
    { min: 0, max: 3600 },
    { default: 15 },
  ),
};

export type ProviderConfig = SettingsOf<typeof providerSettings>;
export type TierConfig = SettingsOf<typeof tierSettings>;
