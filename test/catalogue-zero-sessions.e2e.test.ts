/** zero-sessions end to end on both databases: no terminal, --auto-update, --cache. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  // A sandbox per test: pausing changes the simulated Airtable.
  const sandbox = await startSandbox({ centers: 1, catalogue: { pages: 60 } });
  try {
    await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}

const zeroActive = (sandbox: Sandbox) => sandbox.catalogue.pages.filter((p) => p.sessions === 0 && p.pageStatus === 'Active');
const pausedInDb = (db: TestDatabase) =>
  db.use(async (k) => (await k.selectFrom('catalogue_urls').select('url').where('page_status', '=', 'Paused').execute()).length);

for (const backend of backends) {
  describe(`zero-sessions on ${backend.name}`, { skip: backend.skip }, () => {
    test('no terminal and no --auto-update: nothing written to Airtable, what would be paused is reported; the result is stored', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env });
        assert.equal((await runOps(['airtable-sync'], env)).code, 0);
        const before = await pausedInDb(db);
        sandbox.catalogue.airtable.resetStats();
        const result = await runOps(['zero-sessions', '--json'], env);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.json.stats.would_pause, zeroActive(sandbox).length);
        assert.match(result.json.notes.join('\n'), /no terminal to confirm on and no --auto-update: nothing changed/);
        assert.equal(sandbox.catalogue.airtable.stats().requests, 0);
        assert.equal(await pausedInDb(db), before);
        const stored = await db.use((k) => k.selectFrom('bigquery_results').select(['query_sql', 'row_count']).execute());
        assert.equal(stored.length, 1);
        assert.match(stored[0].query_sql, /SUM\(sessions\)/);
        assert.equal(stored[0].row_count, 60);
        assert.ok(sandbox.catalogue.bigquery.stats().tokenRequests >= 1, 'the client exchanged its token at the simulator');
      }));

    test('--auto-update pauses 10 records a PATCH; a rerun pauses nothing; --cache makes no BigQuery call', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env });
        assert.equal((await runOps(['airtable-sync'], env)).code, 0);
        const before = await pausedInDb(db);
        const zero = zeroActive(sandbox);
        sandbox.catalogue.airtable.resetStats();
        const result = await runOps(['zero-sessions', '--auto-update', '--json'], env);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.json.stats.paused, zero.length);
        const stats = sandbox.catalogue.airtable.stats();
        assert.equal(stats.patchRequests, Math.ceil(zero.length / 10));
        assert.equal(stats.patchedRecords, zero.length);
        const records = new Map(sandbox.catalogue.airtable.records().map((r) => [r.id, r.fields.page_status]));
        for (const p of zero) assert.equal(records.get(p.recordId), 'Paused');
        assert.equal(await pausedInDb(db), before + zero.length);

        sandbox.catalogue.bigquery.resetStats();
        const cached = await runOps(['zero-sessions', '--auto-update', '--cache', '--json'], env);
        assert.equal(cached.code, 0, cached.stderr);
        assert.equal(cached.json.stats.active_with_zero, 0);
        assert.match(cached.json.stats.source, /^cached result/);
        assert.deepEqual(sandbox.catalogue.bigquery.stats(), { tokenRequests: 0, queries: 0, resultRequests: 0, authorised: 0, unauthorised: 0 });
      }));

    test('--cache with no stored result fails and says what to do', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env });
        const result = await runOps(['zero-sessions', '--cache', '--json'], env);
        assert.equal(result.code, 1);
        assert.match(result.json.error, /no stored BigQuery result yet/);
      }));
  });
}
