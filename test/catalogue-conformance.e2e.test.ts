/** The URL catalogue's steps through the same conformance checks as every task, on both databases. */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { conformance } from './helpers/conformance.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 1, catalogue: { pages: 20, scrapingbee: { brokenPages: false } } });
});
after(async () => {
  await sandbox.close();
});

const envFor = (db: TestDatabase) => baseEnv({ ...sandbox.env, ...db.env, CATALOGUE_CONCURRENCY: '2' });
async function synced(db: TestDatabase) {
  const env = envFor(db);
  const sync = await runOps(['airtable-sync'], env);
  assert.equal(sync.code, 0, sync.stderr);
  return env;
}
const urls = (db: TestDatabase) =>
  db.use((k) =>
    k
      .selectFrom('catalogue_urls')
      .select(['url', 'airtable_record_id', 'page_status', 'status_code', 'catalogued', 'crawler_updated_at', 'summary', 'fetch_attempts', 'updated_at'])
      .orderBy('url')
      .execute(),
  );
const started = (task: string) => new RegExp(`"task":"${task}","run_id":"[^"]+","msg":"started"`);

for (const backend of backends) {
  conformance(backend, {
    task: 'airtable-sync',
    args: ['airtable-sync'],
    setup: async (db) => envFor(db),
    snapshot: urls,
    slow: (on) => sandbox.catalogue.airtable.setOptions({ latencyMs: on ? 3000 : 0 }),
    working: started('airtable-sync'),
    badSetting: ['AIRTABLE_RATE_LIMIT', '9'],
  });
  conformance(backend, {
    task: 'crawler-check',
    args: ['crawler-check'],
    setup: synced,
    snapshot: async (db) => [await urls(db), await db.use((k) => k.selectFrom('catalogue_bookmarks').select(['name', 'value']).execute())],
    slow: (on) => sandbox.catalogue.crawler.setOptions({ latencyMs: on ? 3000 : 0 }),
    working: /"msg":"asking the crawler for updated URLs"/,
    badSetting: ['CRAWLER_PAGE_SIZE', '500'],
  });
  conformance(backend, {
    task: 'zero-sessions',
    args: ['zero-sessions', '--auto-update'],
    setup: synced,
    snapshot: urls,
    slow: (on) => sandbox.catalogue.bigquery.setOptions({ latencyMs: on ? 700 : 0 }),
    working: started('zero-sessions'),
    badSetting: ['BIGQUERY_TIMEOUT_SECONDS', 'soon'],
  });
  conformance(backend, {
    task: 'catalogue',
    args: ['catalogue'],
    setup: synced,
    snapshot: urls,
    slow: (on) => sandbox.catalogue.scrapingbee.setOptions({ latencyMs: on ? 400 : 0 }),
    working: /"msg":"cataloguing started"/,
    badSetting: ['CATALOGUE_CONCURRENCY', '0'],
  });
}
