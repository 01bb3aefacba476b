/** catalogue end to end on both databases: --count, redirects never reach the LLM, 404/500 kept for later, a rerun makes no LLM call. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../src/sandbox/index.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

for (const backend of backends) {
  describe(`catalogue on ${backend.name}`, { skip: backend.skip }, () => {
    test('--count 10 catalogues exactly 10; 301/302 are recorded and never sent to the LLM; 404/500 wait; a rerun makes no LLM call', async () => {
      const sandbox = await startSandbox({ centers: 1, catalogue: { pages: 40, scrapingbee: { slowMs: 300 } } });
      try {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env, CATALOGUE_CONCURRENCY: '4' });
        assert.equal((await runOps(['airtable-sync'], env)).code, 0);
        const pages = sandbox.catalogue.pages;
        const catalogued = () => db.use(async (k) => (await k.selectFrom('catalogue_urls').select('url').where('catalogued', '=', true).execute()).length);

        const ten = await runOps(['catalogue', '--count', '10', '--json'], env);
        assert.equal(ten.code, 0, ten.stderr);
        assert.equal(ten.json.stats.catalogued, 10);
        assert.equal(await catalogued(), 10);

        const rest = await runOps(['catalogue', '--json'], env);
        assert.equal(rest.code, 0, rest.stderr);
        const good = pages.filter((p) => p.fetch === 200);
        assert.equal(await catalogued(), good.length);
        const llmCalls = sandbox.llm.stats().perPage;
        for (const p of pages.filter((p) => p.fetch === 301 || p.fetch === 302)) {
          assert.equal(llmCalls[p.url], undefined, `${p.url} redirects and must not reach the LLM`);
          const row = await db.use((k) =>
            k.selectFrom('catalogue_urls').select(['status_code', 'catalogued', 'resolved_url']).where('url', '=', p.url).executeTakeFirstOrThrow(),
          );
          assert.deepEqual(row, { status_code: p.fetch, catalogued: false, resolved_url: `${p.url}-moved` });
        }
        for (const p of good) assert.equal(llmCalls[p.url], 1, p.url);
        const broken = pages.filter((p) => p.fetch === 404 || p.fetch === 500);
        assert.match(rest.json.notes.join('\n'), new RegExp(`${broken.length} page\\(s\\) answered an error status`));
        const entry = await db.use((k) =>
          k.selectFrom('catalogue_urls').select(['page_type', 'keywords', 'summary', 'tokens_in']).where('url', '=', good[0].url).executeTakeFirstOrThrow(),
        );
        assert.equal(entry.page_type, good[0].kind);
        assert.ok(entry.keywords && entry.keywords.length > 0 && entry.summary && entry.tokens_in > 0);

        const attemptsOf = () =>
          db.use((k) =>
            k.selectFrom('catalogue_urls').select(['fetch_status', 'fetch_attempts', 'status_code']).where('url', '=', broken[0].url).executeTakeFirstOrThrow(),
          );
        const before = await attemptsOf();
        const llmBefore = sandbox.llm.stats().requests;
        sandbox.catalogue.scrapingbee.resetStats();
        const rerun = await runOps(['catalogue', '--json'], env);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.equal(sandbox.llm.stats().requests, llmBefore, 'a rerun makes no LLM call');
        // Only the pages that answered 404/500 are fetched again.
        assert.deepEqual(Object.keys(sandbox.catalogue.scrapingbee.stats().perUrl).sort(), broken.map((p) => p.url).sort());
        assert.deepEqual(await attemptsOf(), { fetch_status: broken[0].fetch, fetch_attempts: before.fetch_attempts + 1, status_code: 0 });
      } finally {
        await sandbox.close();
      }
    });
  });
}
