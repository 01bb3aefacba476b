/**
 * sync-centers end to end: the real `ops` binary, spawned against the location
 * simulator, on the embedded database and on Postgres.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps, startOps, waitForOutput } from './helpers/ops.js';

const SECRET = 'loc-key-9f8e7d6c5b4a';

async function centerRows(db: Awaited<ReturnType<(typeof backends)[number]['create']>>) {
  return db.use((k) =>
    k
      .selectFrom('centers')
      .select([
        'center_id',
        'center_name',
        'slug',
        'zip_code',
        'city',
        'state',
        'country',
        'radius',
        'owner_email',
        'location_data',
        'is_active',
        'content_hash',
        'created_at',
        'updated_at',
      ])
      .orderBy('center_id')
      .execute(),
  );
}

async function runsOf(db: Awaited<ReturnType<(typeof backends)[number]['create']>>, task = 'sync-centers') {
  return db.use((k) => k.selectFrom('task_logs').selectAll().where('task', '=', task).orderBy('started_at').execute());
}

for (const backend of backends) {
  describe(`sync-centers on ${backend.name}`, { skip: backend.skip }, () => {
    let sim: LocationSim;
    const env = (db: { env: Record<string, string> }, extra: Record<string, string> = {}) =>
      baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, LOCATION_API_KEY: SECRET, ...extra });

    before(async () => {
      sim = await startLocationSim({ centers: 25, apiKey: SECRET });
    });
    after(async () => {
      await sim.close();
    });

    test('twice in a row gives identical centers; the second run changes nothing', async () => {
      sim.setOptions({ latencyMs: 0, errorRate: 0, failFirst: 0, malformedRate: 0, rateLimitRate: 0, timeoutRate: 0 });
      const db = await backend.create();
      const first = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.status, 'success');
      assert.equal(first.json.stats.inserted, 25);
      const before = await centerRows(db);
      const second = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual({ ...second.json.stats }, { slugs: 25, fetched: 25, inserted: 0, updated: 0, unchanged: 25, failed: 0, missing: 0, deactivated: 0 });
      assert.deepEqual(await centerRows(db), before);
      assert.equal(before.length, 25);
      const row = before[0];
      assert.equal(typeof row.location_data, 'object', 'location_data is jsonb');
      const runs = await runsOf(db);
      assert.deepEqual(
        runs.map((r) => r.status),
        ['success', 'success'],
      );
      assert.ok(runs.every((r) => r.finished_at && r.duration_ms !== null && r.host && r.pid));
    });

    test('the API key is sent but never printed or stored, even with --verbose', async () => {
      const db = await backend.create();
      const result = await runOps(['sync-centers', '--verbose'], env(db));
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET));
      const runs = await runsOf(db);
      assert.ok(!JSON.stringify(runs).includes(SECRET));
      for (const line of result.logs) for (const key of ['time', 'level', 'msg']) assert.ok(key in line, `log line has ${key}`);
    });

    test('SIGTERM mid-run: recorded interrupted, exit 143 within 10 s; a rerun completes the table', async () => {
      sim.setOptions({ latencyMs: 700 });
      const db = await backend.create();
      const running = startOps(['sync-centers'], env(db, { LOCATION_CONCURRENCY: '1' }));
      await waitForOutput(running, /"msg":"slug list fetched"/);
      await new Promise((r) => setTimeout(r, 1800));
      const signalled = Date.now();
      running.child.kill('SIGTERM');
      const result = await running.done;
      assert.equal(result.code, 143, result.stderr);
      assert.ok(Date.now() - signalled <= 10_000, `exited ${Date.now() - signalled}ms after SIGTERM`);
      const runs = await runsOf(db);
      assert.equal(runs.at(-1)!.status, 'interrupted');
      const partialCount = (await centerRows(db)).length;
      assert.ok(partialCount > 0 && partialCount < 25, `some centers were written before the stop (${partialCount})`);
      sim.setOptions({ latencyMs: 0 });
      const rerun = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal((await centerRows(db)).length, 25);
    });

    test('SIGKILL mid-run: the next run marks the stale row interrupted and completes the table', async () => {
      sim.setOptions({ latencyMs: 700 });
      const db = await backend.create();
      const running = startOps(['sync-centers'], env(db, { LOCATION_CONCURRENCY: '1' }));
      await waitForOutput(running, /"msg":"slug list fetched"/);
      await new Promise((r) => setTimeout(r, 1000));
      running.child.kill('SIGKILL');
      await running.done;
      sim.setOptions({ latencyMs: 0 });
      const rerun = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(rerun.code, 0, rerun.stderr);
      const runs = await runsOf(db);
      assert.equal(runs.length, 2);
      assert.equal(runs[0].status, 'interrupted');
      assert.match(runs[0].error!, new RegExp(`ended without recording an outcome; found by run ${rerun.json.run_id}`));
      assert.equal(runs[1].status, 'success');
      assert.equal((await centerRows(db)).length, 25);
    });

    if (backend.name === 'postgres') {
      test('losing the lock mid-run (its connection killed) stops the run: failed, exit 1', async () => {
        sim.setOptions({ latencyMs: 500 });
        const db = await backend.create();
        const running = startOps(['sync-centers'], env(db, { LOCATION_CONCURRENCY: '1' }));
        await waitForOutput(running, /"msg":"slug list fetched"/);
        // The advisory lock's own connection: ops' locks live under class id 0x6f7073.
        await db.use((k) =>
          sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and classid = ${0x6f7073} and granted and database = (select oid from pg_database where datname = current_database())`.execute(
            k,
          ),
        );
        const result = await running.done;
        sim.setOptions({ latencyMs: 0 });
        assert.equal(result.code, 1, result.stderr);
        const last = (await runsOf(db)).at(-1)!;
        assert.equal(last.status, 'failed');
        assert.match(last.error!, /lost the run lock/);
      });
    }

    test('faults: recovered items are synced, the rest fail with reasons, exit 2', async () => {
      const db = await backend.create();
      // Two 503s then an answer: three attempts recover every center.
      sim.setOptions({ failFirst: 2, latencyMs: 0 });
      const recovered = await runOps(['sync-centers', '--json'], env(db, { LOCATION_ATTEMPTS: '3' }));
      assert.equal(recovered.code, 0, recovered.stderr);
      assert.equal(recovered.json.stats.fetched, 25);

      const db2 = await backend.create();
      sim.setOptions({
        failFirst: 0,
        malformedRate: 0.2,
        errorRate: 0.2,
        rateLimitRate: 0.1,
        retryAfterSeconds: 1,
        extraSlugs: ['../../etc/x', 'a/b', 'gone-center'],
      });
      const faulty = await runOps(['sync-centers', '--json'], env(db2, { LOCATION_ATTEMPTS: '2' }));
      sim.setOptions({ malformedRate: 0, errorRate: 0, rateLimitRate: 0, extraSlugs: [] });
      assert.equal(faulty.code, 2, faulty.stderr);
      assert.equal(faulty.json.status, 'partial');
      const failed = new Map<string, string>(faulty.json.failures.map((f: { item: string; reason: string }) => [f.item, f.reason]));
      assert.match(failed.get('../../etc/x')!, /unsafe slug/);
      assert.match(failed.get('a/b')!, /unsafe slug/);
      assert.match(failed.get('gone-center')!, /not found \(404\)/);
      const synced = new Set((await centerRows(db2)).map((r) => r.slug));
      for (const center of sim.centers) {
        assert.ok(synced.has(center.slug) !== failed.has(center.slug), `${center.slug} is either synced or failed with a reason`);
      }
      assert.ok(
        [...failed.values()].some((r) => /malformed|not JSON/.test(r)),
        'a malformed record is a failed item',
      );
      assert.equal(faulty.json.stats.failed, failed.size);
    });

    test('a center gone from the API is reported, and deactivated only when asked', async () => {
      const db = await backend.create();
      await runOps(['sync-centers'], env(db));
      const gone = sim.centers.filter((c) => c.is_active)[0].slug;
      sim.setOptions({ removeSlugs: [gone] });
      const report = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(report.json.stats.missing, 1);
      assert.match(report.json.notes.join('\n'), new RegExp(`no longer listed.*${gone}`));
      const deactivate = await runOps(['sync-centers', '--deactivate-missing', '--json'], env(db));
      sim.setOptions({ removeSlugs: [] });
      assert.equal(deactivate.json.stats.deactivated, 1);
      const row = (await centerRows(db)).find((r) => r.slug === gone)!;
      assert.equal(row.is_active, false, 'kept, not deleted, and inactive');
    });

    test('a malformed setting: exit 78 naming the variable, no secret in the output, nothing recorded', async () => {
      const db = await backend.create();
      const result = await runOps(['sync-centers'], env(db, { LOCATION_CONCURRENCY: 'lots', LOCATION_API_KEY: SECRET }));
      assert.equal(result.code, 78);
      const messages = (r: typeof result) => r.logs.map((l) => l.msg).join('\n');
      assert.match(messages(result), /LOCATION_CONCURRENCY is malformed: expected an integer from 1 to 50, found "lots"/);
      assert.equal(result.logs.find((l) => l.level === 'error')?.variable, 'LOCATION_CONCURRENCY');
      assert.ok(!result.stderr.includes(SECRET) && !result.stdout.includes(SECRET));
      const missing = await runOps(['sync-centers'], baseEnv({ ...db.env }));
      assert.equal(missing.code, 78);
      assert.match(messages(missing), /LOCATION_SLUG_API_URL is not set/);
      const badDbUrl = await runOps(['sync-centers'], env(db, { DATABASE_URL: 'mysql://root:hunter22@db/x' }));
      assert.equal(badDbUrl.code, 78);
      assert.match(badDbUrl.stderr, /DATABASE_URL/);
      assert.ok(!badDbUrl.stderr.includes('hunter22'));
      assert.equal((await runsOf(db)).length, 0, 'no run was recorded: nothing started');
    });
  });
}

describe('storage problems', () => {
  test('an unreachable Postgres: exit 1, the password never shown', async () => {
    const result = await runOps(
      ['sync-centers'],
      baseEnv({
        DATABASE_URL: 'postgres://ops:pw-never-shown@127.0.0.1:1/ops',
        LOCATION_SLUG_API_URL: 'http://127.0.0.1:9/s',
        LOCATION_DATA_API_URL: 'http://127.0.0.1:9/d',
      }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot connect to the database at postgres:\/\/ops:\*\*\*@127\.0\.0\.1:1\/ops/);
    assert.ok(!result.stderr.includes('pw-never-shown'));
  });

  test('doctor reports a run left running by a killed process', async () => {
    const sim = await startLocationSim({ centers: 10, latencyMs: 500 });
    try {
      const db = await backends[0].create();
      const env = baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, LOCATION_CONCURRENCY: '1' });
      const running = startOps(['sync-centers'], env);
      await waitForOutput(running, /"msg":"started"/);
      running.child.kill('SIGKILL');
      await running.done;
      const doctor = await runOps(['doctor', '--json'], env);
      const stale = doctor.json.checks.find((c: { check: string }) => c.check === 'stale runs');
      assert.equal(stale.verdict, 'warn');
      assert.match(stale.detail, /1 run\(s\) left "running" by a dead process/);
    } finally {
      await sim.close();
    }
  });
});
