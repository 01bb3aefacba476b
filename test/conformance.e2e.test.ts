/** Every task through the same conformance checks, on both databases. */
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { conformance } from './helpers/conformance.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { trackingTraffic } from '../src/sandbox/tracking-traffic.js';
import { businessFacts, ingest } from './helpers/tracking.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 12 });
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
