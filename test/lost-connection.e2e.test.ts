/**
 * Postgres terminates every connection of a running task (failover, an
 * operator's pg_terminate_backend): no crash, no stack trace; the run is
 * recorded failed, by a fresh connection or through pending-runs, exit 1.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, type OpsResult, runOps, startOps, waitForOutput } from './helpers/ops.js';

const postgres = backends.find((b) => b.name === 'postgres')!;

const terminateOthers = (db: TestDatabase) =>
  db.use((k) => sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(k));

// Which side notices first is up to timing: the pool's connection (mid-query) or the run lock's own session.
const LOST = /lost the database connection|lost the run lock \(the lock's connection (failed|closed)/;

describe('losing the database connection on postgres', { skip: postgres.skip }, () => {
  let sim: LocationSim;
  const env = (db: TestDatabase, extra: Record<string, string> = {}) =>
    baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, LOCATION_CONCURRENCY: '1', ...extra });

  before(async () => {
    sim = await startLocationSim({ centers: 10, latencyMs: 0 });
  });
  after(async () => {
    await sim.close();
  });

  test('pg_terminate_backend on every connection mid-run: failed ("lost the database connection"), exit 1, no stack trace', async () => {
    const db = await postgres.create();
    // Slow writes: the run's pool connection is in use (checked out) when it is killed.
    await db.use(async (k) => {
      await sql`create function slow_write() returns trigger language plpgsql as $$ begin perform pg_sleep(0.4); return new; end $$`.execute(k);
      await sql`create trigger slow_write before insert or update on centers for each row execute function slow_write()`.execute(k);
    });
    const running = startOps(['sync-centers', '--json'], env(db));
    await waitForOutput(running, /"msg":"slug list fetched"/);
    await new Promise((r) => setTimeout(r, 1000)); // a few centers in
    await terminateOthers(db);
    const result = await running.done;
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at .*\(|node_modules|Unhandled 'error' event/, 'no raw stack trace');
    assert.equal(result.json?.status, 'failed', result.stdout);
    assert.match(result.json.error, LOST);
    const row = await db.use((k) => k.selectFrom('task_logs').selectAll().where('run_id', '=', result.json.run_id).executeTakeFirstOrThrow());
    assert.equal(row.status, 'failed', result.stderr);
    assert.match(row.error!, LOST);
  });

  test('no connection to be had at all: the failure goes to pending-runs and the next run records it', async () => {
    const db = await postgres.create();
    const name = new URL(db.env.DATABASE_URL).pathname.slice(1);
    await db.use(async (k) => {
      await sql`create function slow_write() returns trigger language plpgsql as $$ begin perform pg_sleep(0.4); return new; end $$`.execute(k);
      await sql`create trigger slow_write before insert or update on centers for each row execute function slow_write()`.execute(k);
    });
    const running = startOps(['sync-centers', '--json'], env(db));
    await waitForOutput(running, /"msg":"slug list fetched"/);
    await new Promise((r) => setTimeout(r, 1000));
    // Refuse new connections, then end the existing ones (from another database: one cannot refuse one's own).
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    let result: OpsResult;
    try {
      await admin.query(`alter database ${name} with allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      result = await running.done;
    } finally {
      await admin.query(`alter database ${name} with allow_connections true`);
      await admin.end();
    }
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at .*\(|node_modules|Unhandled 'error' event/, 'no raw stack trace');
    assert.equal(result.json?.status, 'failed', result.stdout);
    assert.match(result.json.error, LOST);
    assert.match(result.stderr, /kept as a pending run/);
    const status = () =>
      db.use((k) => k.selectFrom('task_logs').select(['status', 'error']).where('run_id', '=', result.json.run_id).executeTakeFirstOrThrow());
    assert.equal((await status()).status, 'running');
    sim.setOptions({ latencyMs: 0 });
    const next = await runOps(['sync-centers', '--json'], env(db));
    assert.equal(next.code, 0, next.stderr);
    const row = await status();
    assert.equal(row.status, 'failed');
    assert.match(row.error!, LOST);
  });
});
