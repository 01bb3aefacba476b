/**
 * sync-centers outcomes that must not lie: a database that refuses writes
 * fails the run (not a list of failed centers); every center failed is a
 * failed run; --deactivate-missing trusts only a complete, plausible slug list.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

const quiet = { latencyMs: 0, errorRate: 0, failFirst: 0, malformedRate: 0, rateLimitRate: 0, timeoutRate: 0, extraSlugs: [], removeSlugs: [] };

const activeSlugs = (db: TestDatabase) =>
  db.use(async (k) => (await k.selectFrom('centers').select('slug').where('is_active', '=', true).orderBy('slug').execute()).map((r) => r.slug));

/** A slug list server that answers whatever body the test sets. */
async function slugServer(): Promise<{ url: string; body: unknown; close(): Promise<void> }> {
  const state = { body: [] as unknown };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slugs`,
    get body() {
      return state.body;
    },
    set body(value: unknown) {
      state.body = value;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const backend of backends) {
  describe(`sync-centers outcomes on ${backend.name}`, { skip: backend.skip }, () => {
    let sim: LocationSim;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) =>
      baseEnv({ ...db.env, LOCATION_SLUG_API_URL: sim.slugApiUrl, LOCATION_DATA_API_URL: sim.dataApiUrl, ...extra });

    before(async () => {
      sim = await startLocationSim({ centers: 25 });
    });
    after(async () => {
      await sim.close();
    });

    test('a database that refuses writes fails the run: exit 1, not partial with every center failed', async () => {
      sim.setOptions(quiet);
      const db = await backend.create();
      await db.use((k) => sql`alter table centers add constraint no_writes check (false) not valid`.execute(k));
      const result = await runOps(['sync-centers', '--json'], env(db));
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.json.status, 'failed');
      assert.match(result.json.error, /no_writes/);
      assert.doesNotMatch(result.json.error, /internal error/);
      const row = await db.use((k) =>
        k.selectFrom('task_logs').select(['status', 'failure_count']).where('run_id', '=', result.json.run_id).executeTakeFirstOrThrow(),
      );
      assert.equal(row.status, 'failed');
    });

    test('every center failed (malformed records): failed, exit 1', async () => {
      sim.setOptions({ ...quiet, malformedRate: 1 });
      const db = await backend.create();
      const result = await runOps(['sync-centers', '--json'], env(db));
      sim.setOptions(quiet);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.json.status, 'failed');
      assert.equal(result.json.failure_count, 25);
      assert.match(result.json.error, /every center failed/);
    });

    test('--deactivate-missing refuses an empty slug list: partial with the reason, nothing deactivated', async () => {
      sim.setOptions(quiet);
      const db = await backend.create();
      assert.equal((await runOps(['sync-centers'], env(db))).code, 0);
      const before = await activeSlugs(db);
      sim.setOptions({ removeSlugs: sim.centers.map((c) => c.slug) });
      const result = await runOps(['sync-centers', '--deactivate-missing', '--json'], env(db));
      sim.setOptions(quiet);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.json.status, 'partial');
      assert.equal(result.json.stats.deactivated, 0);
      assert.match(result.json.failures.map((f: { reason: string }) => f.reason).join('\n'), /empty/);
      assert.deepEqual(await activeSlugs(db), before);
    });

    test('--deactivate-missing refuses when the missing share passes LOCATION_MAX_MISSING_SHARE, deactivates below it', async () => {
      sim.setOptions(quiet);
      const db = await backend.create();
      assert.equal((await runOps(['sync-centers'], env(db))).code, 0);
      const before = await activeSlugs(db);
      const many = before.slice(0, 6); // 6 of the active ones: over 20 %
      sim.setOptions({ removeSlugs: many });
      const refused = await runOps(['sync-centers', '--deactivate-missing', '--json'], env(db));
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(refused.json.stats.deactivated, 0);
      assert.match(refused.json.failures.map((f: { reason: string }) => f.reason).join('\n'), /LOCATION_MAX_MISSING_SHARE/);
      assert.deepEqual(await activeSlugs(db), before);
      // A higher threshold lets the same list through.
      const allowed = await runOps(['sync-centers', '--deactivate-missing', '--json'], env(db, { LOCATION_MAX_MISSING_SHARE: '0.5' }));
      sim.setOptions(quiet);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.equal(allowed.json.stats.deactivated, 6);
      assert.deepEqual(
        await activeSlugs(db),
        before.filter((s) => !many.includes(s)),
      );
      const garbage = await runOps(['sync-centers'], env(db, { LOCATION_MAX_MISSING_SHARE: 'most' }));
      assert.equal(garbage.code, 78);
      assert.match(garbage.stderr, /LOCATION_MAX_MISSING_SHARE/);
    });

    test('--deactivate-missing refuses a slug list with rejected entries: it is not complete', async () => {
      sim.setOptions(quiet);
      const db = await backend.create();
      assert.equal((await runOps(['sync-centers'], env(db))).code, 0);
      const before = await activeSlugs(db);
      const list = await slugServer();
      try {
        // One real slug left out, one entry that is no slug at all (it may be the missing center).
        list.body = { slugs: [...sim.centers.map((c) => c.slug).filter((s) => s !== before[0]), { name: 42 }] };
        const result = await runOps(['sync-centers', '--deactivate-missing', '--json'], env(db, { LOCATION_SLUG_API_URL: list.url }));
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.json.stats.deactivated, 0);
        assert.match(result.json.failures.map((f: { reason: string }) => f.reason).join('\n'), /not complete/);
        assert.deepEqual(await activeSlugs(db), before);
      } finally {
        await list.close();
      }
    });
  });
}
