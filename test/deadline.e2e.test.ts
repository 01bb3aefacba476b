/**
 * A task's overall deadline, end to end: past it the run stops, is recorded
 * failed with the reason, and the process exits 1 (it does not hang).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

for (const backend of backends) {
  describe(`deadline on ${backend.name}`, { skip: backend.skip }, () => {
    let sim: LocationSim;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) =>
      baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, LOCATION_CONCURRENCY: '1', ...extra });

    before(async () => {
      sim = await startLocationSim({ centers: 10, latencyMs: 800 });
    });
    after(async () => {
      await sim.close();
    });

    test('SYNC_CENTERS_DEADLINE_SECONDS=2 against a slow upstream: failed "passed its deadline of 2 s", exit 1, promptly', async () => {
      const db = await backend.create();
      const result = await runOps(['sync-centers', '--json'], env(db, { SYNC_CENTERS_DEADLINE_SECONDS: '2' }), { timeoutMs: 60_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.json.status, 'failed');
      assert.match(result.json.error, /passed its deadline of 2 s/);
      assert.ok(result.json.duration_ms >= 2000 && result.json.duration_ms < 15_000, `stopped at the deadline (${result.json.duration_ms} ms)`);
      const row = await db.use((k) => k.selectFrom('task_logs').select(['status', 'error']).where('run_id', '=', result.json.run_id).executeTakeFirstOrThrow());
      assert.equal(row.status, 'failed');
      assert.match(row.error!, /passed its deadline of 2 s/);
    });

    test('a malformed deadline is a configuration error (78) naming the variable', async () => {
      const db = await backend.create();
      const result = await runOps(['sync-centers'], env(db, { SYNC_CENTERS_DEADLINE_SECONDS: 'tomorrow' }));
      assert.equal(result.code, 78, result.stderr);
      assert.match(result.stderr, /SYNC_CENTERS_DEADLINE_SECONDS/);
    });
  });
}
