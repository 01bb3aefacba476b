/**
 * sync-centers against a tiny hostile location API: a deeply nested entry in
 * the slug list and a center with a 1 MB city are failed items with reasons;
 * every other center is synced.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

const DEPTH = 100_000;
const record = (slug: string, extra: Record<string, unknown> = {}) => ({
  center_id: `ID-${slug}`,
  center_name: `Center ${slug}`,
  slug,
  zip_code: '78701',
  city: 'Austin',
  state: 'TX',
  ...extra,
});

let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    res.setHeader('content-type', 'application/json');
    // Written as text: JSON.stringify of the nested entry would itself overflow the stack.
    if (path === '/slugs') return res.end(`{"slugs": ["austin", ${'['.repeat(DEPTH)}1${']'.repeat(DEPTH)}, "huge", "boston"]}`);
    const slug = decodeURIComponent(path.replace('/data/slug/', ''));
    if (slug === 'huge') return res.end(JSON.stringify({ data: record('huge', { city: 'c'.repeat(1_000_000) }) }));
    res.end(JSON.stringify({ data: record(slug) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
});

for (const backend of backends) {
  describe(`sync-centers limits on ${backend.name}`, { skip: backend.skip }, () => {
    test('a deeply nested slug entry and a 1 MB city fail only their items; the rest are synced', async () => {
      const db = await backend.create();
      const result = await runOps(
        ['sync-centers', '--json'],
        baseEnv({ ...db.env, LOCATION_SLUG_API_URL: `${base}/slugs`, LOCATION_DATA_API_URL: `${base}/data` }),
      );
      assert.equal(result.code, 2, result.stderr);
      const reasons = result.json.failures.map((f: { reason: string }) => f.reason).join('\n');
      assert.match(reasons, /not a slug/);
      assert.match(reasons, /city is longer than 200 characters/);
      const slugs = await db.use(async (k) => (await k.selectFrom('centers').select('slug').orderBy('slug').execute()).map((r) => r.slug));
      assert.deepEqual(slugs, ['austin', 'boston']);
    });
  });
}
