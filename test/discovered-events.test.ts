/** The discovered_events queries on both databases: any number of events, natural keys of any length. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { upsertEvents, type EventRow } from '../src/db/queries/discovered-events.js';
import { backends, type TestDatabase } from './helpers/db.js';

const event = (name: string, venue: string | null = 'Hall'): EventRow => ({
  name,
  date: '2026-12-01',
  start_time: null,
  end_time: null,
  venue,
  address: null,
  city: null,
  url: null,
  category: null,
  description: null,
});
const upsert = (db: TestDatabase, events: EventRow[]) => db.use((k) => k.transaction().execute((trx) => upsertEvents(trx, 'C1', 'run-1', events, new Date())));
const count = (db: TestDatabase) =>
  db.use(async (k) => Number((await sql<{ n: number }>`select count(*)::int as n from discovered_events`.execute(k)).rows[0].n));
/** Letters and digits that do not compress: the index would have to hold them as they are. */
const incompressible = (length: number) => [...randomBytes(length)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

for (const backend of backends) {
  describe(`discovered_events on ${backend.name}`, { skip: backend.skip }, () => {
    test('5,000 events in one call are written in bounded statements; a rerun adds none', async () => {
      const db = await backend.create();
      const events = Array.from({ length: 5000 }, (_, i) => event(`Event ${i}`));
      assert.equal(await upsert(db, events), 5000);
      assert.equal(await upsert(db, events), 0);
      assert.equal(await count(db), 5000);
    });

    test('the natural-key index holds keys far longer than a btree row; reruns stay duplicate-free', async () => {
      const db = await backend.create();
      const long = [event(incompressible(8000), incompressible(8000)), event('Short', incompressible(8000))];
      assert.equal(await upsert(db, long), 2);
      assert.equal(await upsert(db, long), 0);
      assert.equal(await count(db), 2);
    });
  });
}
