/** crawler-check end to end on both databases. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 2, catalogue: { pages: 40 } });
});
after(async () => {
  await sandbox.close();
});

for (const backend of backends) {
  describe(`crawler-check on ${backend.name}`, { skip: backend.skip }, () => {
    test('follows pageInfo, marks updated URLs, advances the bookmark after commit; a rerun does nothing; a new change is applied', async () => {
      // A sandbox of its own: this test makes the crawler see a change.
      const sandbox = await startSandbox({ centers: 1, catalogue: { pages: 40 } });
      try {
        await checks(sandbox);
      } finally {
        await sandbox.close();
      }
    });
    const checks = async (sandbox: Sandbox) => {
      const db = await backend.create();
      const env = baseEnv({ ...sandbox.env, ...db.env, CRAWLER_PAGE_SIZE: '3' });
      assert.equal((await runOps(['airtable-sync'], env)).code, 0);
      await db.use((k) => k.updateTable('catalogue_urls').set({ catalogued: true }).execute());
      const updated = sandbox.catalogue.pages.filter((p) => p.crawlerUpdatedHoursAgo !== undefined);
      const first = await runOps(['crawler-check', '--json'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.stats.marked, updated.length);
      assert.equal(first.json.stats.pages, Math.ceil(updated.length / 3));
      const marked = await db.use((k) => k.selectFrom('catalogue_urls').select('url').where('catalogued', '=', false).orderBy('url').execute());
      assert.deepEqual(
        marked.map((m) => m.url),
        updated.map((p) => p.url).sort(),
      );

      sandbox.catalogue.crawler.resetStats();
      const rerun = await runOps(['crawler-check', '--json'], env);
      assert.equal(rerun.json.stats.marked, 0);
      assert.equal(sandbox.catalogue.crawler.stats().sinceAsked[0], first.json.stats.bookmark);

      const target = sandbox.catalogue.pages[1];
      sandbox.catalogue.crawler.touch(target.url, 404);
      const third = await runOps(['crawler-check', '--json'], env);
      assert.equal(third.json.stats.marked, 1);
      const row = await db.use((k) => k.selectFrom('catalogue_urls').select(['status_code', 'catalogued']).where('url', '=', target.url).executeTakeFirst());
      assert.deepEqual(row, { status_code: 404, catalogued: false });
    };

    test('a GraphQL errors answer in a 200 fails the step with its message; the bookmark stays', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...sandbox.env, ...db.env });
      sandbox.catalogue.crawler.setOptions({ graphqlError: 'Field "updatedUrls" is temporarily disabled' });
      try {
        const result = await runOps(['crawler-check', '--json'], env);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.json.error, /GraphQL error: Field "updatedUrls" is temporarily disabled/);
      } finally {
        sandbox.catalogue.crawler.setOptions({ graphqlError: undefined });
      }
      assert.equal((await db.use((k) => k.selectFrom('catalogue_bookmarks').selectAll().execute())).length, 0);
    });
  });
}
