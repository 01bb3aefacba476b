/** Every task through the same conformance checks, on both databases. */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { conformance } from './helpers/conformance.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { addPartner } from '../src/db/queries/partners.js';
import { trackingTraffic } from '../src/sandbox/tracking-traffic.js';
import { businessFacts, ingest } from './helpers/tracking.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 12, runsignup: { partners: 1, racesPerPartner: 2, eventsPerRace: [1, 2], maxParticipants: 150, churnPerHour: 0 } });
});
after(async () => {
  await sandbox.close();
});

const envFor = (db: TestDatabase) => baseEnv({ ...sandbox.env, ...db.env, LOCATION_CONCURRENCY: '2', BATCH_CONCURRENCY: '2' });

for (const backend of backends) {
  conformance(backend, {
    task: 'sync-centers',
    args: ['sync-centers'],
    setup: async (db) => envFor(db),
    snapshot: (db) =>
      db.use((k) =>
        k
          .selectFrom('centers')
          .select(['center_id', 'center_name', 'slug', 'zip_code', 'radius', 'location_data', 'is_active', 'content_hash', 'updated_at'])
          .orderBy('center_id')
          .execute(),
      ),
    slow: (on) => sandbox.location.setOptions({ latencyMs: on ? 500 : 0 }),
    working: /"msg":"slug list fetched"/,
    badSetting: ['LOCATION_ATTEMPTS', 'many'],
  });

  conformance(backend, {
    task: 'run-batch',
    args: ['run-batch'],
    async setup(db) {
      const env = envFor(db);
      const sync = await runOps(['sync-centers'], env);
      assert.equal(sync.code, 0, sync.stderr);
      return env;
    },
    snapshot: (db) =>
      db.use((k) =>
        k
          .selectFrom('discovered_events')
          .select(['center_id', 'name_key', 'event_date', 'venue_key', 'name', 'start_time', 'url', 'first_run_id'])
          .orderBy('center_id')
          .orderBy('name_key')
          .orderBy('event_date')
          .execute(),
      ),
    slow: (on) => sandbox.llm.setOptions({ latencyMs: on ? 600 : 0 }),
    working: /"msg":"batch started"/,
    badSetting: ['BATCH_CONCURRENCY', '0'],
  });

  // Race events: one partner of the sandbox's simulator, pages of 50 so that a run has several calls to make.
  const raceEnv = async (db: TestDatabase) => {
    await db.use((k) =>
      addPartner(k, { name: 'Sandbox Timing', provider: 'runsignup', keyEnv: 'RSU_PARTNER_1_KEY', secretEnv: 'RSU_PARTNER_1_SECRET' }, new Date()),
    );
    return { ...envFor(db), RUNSIGNUP_PAGE_SIZE: '50', DISCOVER_DAYS_BACK: '30' };
  };
  const participantsOf = (db: TestDatabase, withSyncTimes = true) =>
    db.use((k) =>
      k
        .selectFrom('participants')
        .select(['event_id', 'registration_id', 'bib_num', 'removed_reason', ...(withSyncTimes ? (['synced_at'] as const) : [])])
        .orderBy('event_id')
        .orderBy('registration_id')
        .execute(),
    );
  const slowRaces = (on: boolean) => sandbox.runsignup.setOptions({ latencyMs: on ? 300 : 0 });

  conformance(backend, {
    task: 'discover-events',
    args: ['discover-events'],
    setup: raceEnv,
    snapshot: async (db) => ({
      events: await db.use((k) =>
        k.selectFrom('race_events').select(['event_id', 'name', 'start_time', 'backfill_status', 'bookmark', 'updated_at']).orderBy('event_id').execute(),
      ),
      participants: await participantsOf(db),
    }),
    slow: slowRaces,
    working: /"msg":"discovering races"/,
    badSetting: ['RUNSIGNUP_CALLS_PER_HOUR', 'lots'],
  });

  conformance(backend, {
    task: 'sync-event',
    args: ['sync-event'],
    async setup(db) {
      const env = await raceEnv(db);
      const discovered = await runOps(['discover-events'], env);
      assert.equal(discovered.code, 0, discovered.stderr);
      // Intervals of 0: every event not yet finished is due at every run (no OPS_NOW: runs must order by their real start).
      return {
        ...env,
        SYNC_TIER_FAR_INTERVAL_MINUTES: '0',
        SYNC_TIER_NEAR_INTERVAL_MINUTES: '0',
        SYNC_TIER_IMMINENT_INTERVAL_MINUTES: '0',
        SYNC_DUE_SLACK_SECONDS: '0',
      };
    },
    snapshot: async (db) => ({
      // A rerun syncs again (every event is due): the same rows, only their sync times move.
      events: await db.use((k) => k.selectFrom('race_events').select(['event_id', 'participants', 'removed', 'backfill_status']).orderBy('event_id').execute()),
      participants: await participantsOf(db, false),
    }),
    slow: slowRaces,
    working: /"msg":"syncing events"/,
    badSetting: ['SYNC_TIER_NEAR_MAX', '-1'],
    async sharedRuns(db) {
      // Every event is due at every run here, so one may be synced twice, one after the other: never by two runs at once.
      const rows = await db.use((k) =>
        k.selectFrom('sync_history').select(['event_id', 'run_id', 'started_at', 'finished_at']).where('kind', '=', 'incremental').execute(),
      );
      assert.ok(rows.length > 0);
      for (const a of rows) {
        for (const b of rows) {
          if (a === b || String(a.event_id) !== String(b.event_id)) continue;
          const overlap = new Date(a.started_at) < new Date(b.finished_at!) && new Date(b.started_at) < new Date(a.finished_at!);
          assert.ok(!overlap, `event ${a.event_id} synced by ${a.run_id} and ${b.run_id} at once`);
        }
      }
    },
  });

  conformance(backend, {
    task: 'process-tracking',
    args: ['process-tracking'],
    async setup(db) {
      // Small chunks with a pause between them: a run lasts long enough to be overlapped or stopped.
      const env = baseEnv({ ...db.env, TRACKING_CHUNK_ROWS: '60', TRACKING_CHUNK_PAUSE_MS: '250' });
      await ingest(env, [...trackingTraffic({ customers: 2, sessions: 60, seed: 3 })]);
      return env;
    },
    snapshot: (db) => businessFacts(db),
    slow: () => {},
    working: /"msg":"processing tracking events"/,
    badSetting: ['TRACKING_CHUNK_ROWS', '0'],
  });
}
