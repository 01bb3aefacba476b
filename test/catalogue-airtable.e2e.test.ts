/** airtable-sync end to end on both databases, and the Airtable client's 5 rps / 429 discipline. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AirtableClient, type AirtableConfig } from '../src/integrations/airtable.js';
import { normalizeUrl } from '../src/core/url-normalize.js';
import { startAirtableSim, type AirtableSim } from '../src/sandbox/airtable-sim.js';
import { seededPages } from '../src/sandbox/catalogue-seed.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 2, catalogue: { pages: 230 } });
});
after(async () => {
  await sandbox.close();
});

for (const backend of backends) {
  describe(`airtable-sync on ${backend.name}`, { skip: backend.skip }, () => {
    test('pages of 100 with offset; URLs stored normalised; a rerun changes nothing; a page_status edit is applied; never over 5 rps', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...sandbox.env, ...db.env });
      sandbox.catalogue.airtable.resetStats();
      const first = await runOps(['airtable-sync', '--json'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.stats.pages, 3);
      assert.equal(first.json.stats.inserted, 230);
      const rows = await db.use((k) => k.selectFrom('catalogue_urls').select(['url', 'airtable_record_id', 'page_status', 'original_url']).execute());
      const byRecord = new Map(rows.map((r) => [r.airtable_record_id, r]));
      for (const page of sandbox.catalogue.pages) {
        assert.equal(byRecord.get(page.recordId)?.url, page.url, page.airtableUrl);
        assert.equal(byRecord.get(page.recordId)?.original_url, page.airtableUrl);
      }
      const rerun = await runOps(['airtable-sync', '--json'], env);
      assert.deepEqual([rerun.json.stats.inserted, rerun.json.stats.status_changed, rerun.json.stats.unchanged], [0, 0, 230]);

      const target = sandbox.catalogue.pages[0];
      sandbox.catalogue.airtable.edit(target.recordId, { page_status: 'Paused' });
      try {
        const third = await runOps(['airtable-sync', '--json'], env);
        assert.equal(third.json.stats.status_changed, 1);
        const row = await db.use((k) =>
          k.selectFrom('catalogue_urls').select('page_status').where('airtable_record_id', '=', target.recordId).executeTakeFirst(),
        );
        assert.equal(row?.page_status, 'Paused');
      } finally {
        sandbox.catalogue.airtable.edit(target.recordId, { page_status: target.pageStatus });
      }
      const stats = sandbox.catalogue.airtable.stats();
      assert.ok(stats.maxPerSecond <= 5, `max ${stats.maxPerSecond} requests in one second`);
      assert.equal(stats.rateLimited, 0);
    });

    test('a record without a URL or with a broken one is a failed item (exit 2); the rest is synced', async () => {
      const db = await backend.create();
      sandbox.catalogue.airtable.setOptions({ malformedRecords: 2 });
      try {
        const result = await runOps(['airtable-sync', '--json'], baseEnv({ ...sandbox.env, ...db.env }));
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.json.failure_count, 2);
        assert.match(result.json.failures.map((f: { reason: string }) => f.reason).join('\n'), /no URL field[\s\S]*not a URL|not a URL[\s\S]*no URL field/);
        assert.equal(result.json.stats.inserted, 230);
      } finally {
        sandbox.catalogue.airtable.setOptions({ malformedRecords: 0 });
      }
    });
  });
}

describe('the Airtable client', () => {
  let sim: AirtableSim;
  const pages = seededPages(5);
  before(async () => {
    sim = await startAirtableSim(pages, { apiKey: 'pat' });
  });
  after(async () => {
    await sim.close();
  });
  const config = (over: Partial<AirtableConfig> = {}): AirtableConfig => ({
    apiUrl: sim.baseUrl,
    pat: 'pat',
    baseId: sim.baseId,
    tableId: sim.tableId,
    viewId: sim.viewId,
    timeoutMs: 5000,
    attempts: 4,
    penaltyMs: 30_000,
    ratePerSecond: 5,
    ...over,
  });

  test('two clients of one base in one process share 5 rps: 24 calls at once never exceed it', async () => {
    sim.resetStats();
    const a = new AirtableClient(config());
    const b = new AirtableClient(config());
    const started = Date.now();
    await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).page(undefined)));
    assert.equal(sim.stats().rateLimited, 0);
    assert.ok(sim.stats().maxPerSecond <= 5, `max ${sim.stats().maxPerSecond}`);
    // 24 calls, 5 slots each held a second past its answer: at least four full windows.
    assert.ok(Date.now() - started >= 4000);
  });

  test('a 429 stops every call for the penalty, then all succeed', async () => {
    sim.resetStats();
    // The simulator allows 2 a second here, so the client's 5 gets refused.
    sim.setOptions({ ratePerSecond: 2, penaltyMs: 800 });
    try {
      const client = new AirtableClient(config({ apiUrl: `${sim.baseUrl}/`, penaltyMs: 800, attempts: 6 }));
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 6 }, () => client.page(undefined)));
      assert.ok(results.every((r) => r.records.length === 5));
      const stats = sim.stats();
      assert.ok(stats.rateLimited >= 1, 'the simulator refused some');
      // Only calls already on their way when a 429 came are refused: none goes out during the pause.
      assert.equal(stats.arrivedDuringPenalty, 0);
      assert.ok(Date.now() - started >= 800);
    } finally {
      sim.setOptions({ ratePerSecond: 5, penaltyMs: 30_000 });
    }
  });

  test('PATCH takes at most 10 records and answers the ids updated', async () => {
    const client = new AirtableClient(config());
    await assert.rejects(client.patch(Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, fields: {} }))));
    const ids = await client.patch([{ id: pages[1].recordId, fields: { page_status: 'Paused' } }]);
    assert.deepEqual(ids, [pages[1].recordId]);
    assert.equal(sim.records().find((r) => r.id === pages[1].recordId)?.fields.page_status, 'Paused');
  });

  test('the seeded Airtable spellings normalise to the canonical URL', () => {
    for (const p of seededPages(10)) assert.equal(normalizeUrl(p.airtableUrl), p.url);
  });
});
