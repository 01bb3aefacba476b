/**
 * A run's outcome is recorded even when task_logs cannot take it at the end
 * of the run: it goes to OPS_DATA_DIR/pending-runs and the next process
 * completes the row, on both databases.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

const runRow = (db: TestDatabase, runId: string) => db.use((k) => k.selectFrom('task_logs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow());

const pendingFiles = (db: TestDatabase) => {
  const dir = join(db.env.OPS_DATA_DIR, 'pending-runs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
};

for (const backend of backends) {
  describe(`recording outcomes on ${backend.name}`, { skip: backend.skip }, () => {
    let sim: LocationSim;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) =>
      baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, ...extra });

    before(async () => {
      sim = await startLocationSim({ centers: 5 });
    });
    after(async () => {
      await sim.close();
    });

    test('finishRun failing: the true outcome is printed, kept as a pending run, and the next process completes the running row', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        await sql`create function refuse_outcomes() returns trigger language plpgsql as $$ begin raise exception 'task_logs refuses outcomes'; end $$`.execute(
          k,
        );
        await sql`create trigger refuse_outcomes before update on task_logs for each row when (new.status <> 'running') execute function refuse_outcomes()`.execute(
          k,
        );
      });
      const first = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.status, 'success');
      assert.equal(first.json.stats.inserted, 5);
      assert.equal((await runRow(db, first.json.run_id)).status, 'running', 'the database refused the outcome');
      assert.deepEqual(pendingFiles(db), [`${first.json.run_id}.json`]);

      await db.use((k) => sql`drop trigger refuse_outcomes on task_logs`.execute(k));
      const second = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(second.code, 0, second.stderr);
      const row = await runRow(db, first.json.run_id);
      assert.equal(row.status, 'success');
      assert.ok(row.finished_at && row.duration_ms !== null);
      assert.equal((row.stats as Record<string, unknown>).inserted, 5);
      assert.deepEqual(pendingFiles(db), []);
    });
  });
}
