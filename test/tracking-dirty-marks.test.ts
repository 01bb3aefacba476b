/**
 * A key marked dirty while a business rebuild holds it stays dirty after that
 * rebuild (Postgres: two connections; the embedded database has one, so its
 * writers never meet a rebuild). The rebuild below does what rebuildSessions
 * and rebuildDays do with their dirty rows: claim (for update skip locked),
 * then delete at the end of the same transaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { markForReprocess, markMarkedDaysDirty, markVisitorsDirty } from '../src/db/queries/tracking-dirty.js';
import type { Database } from '../src/db/schema.js';
import { backends } from './helpers/db.js';

const postgres = backends.find((b) => b.name === 'postgres')!;

/**
 * Claims every row of `table`, lets `writer` run on the other connection
 * meanwhile, then deletes the claimed rows and commits; returns whether the
 * writer finished before the rebuild committed, and what the table holds after both.
 */
async function meetRebuild(a: Kysely<Database>, b: Kysely<Database>, table: 'dirty_visitors' | 'dirty_days', writer: (trx: Kysely<Database>) => Promise<void>) {
  let writerDone = false;
  let writing: Promise<unknown> = Promise.resolve();
  await a.transaction().execute(async (rebuild) => {
    await sql`select * from staging.${sql.raw(table)} for update skip locked`.execute(rebuild);
    writing = writer(b).then(() => {
      writerDone = true;
    });
    await sleep(300);
    await sql`delete from staging.${sql.raw(table)}`.execute(rebuild);
  });
  const beforeCommit = writerDone;
  await writing;
  const { rows } = await sql<Record<string, unknown>>`select * from staging.${sql.raw(table)}`.execute(a);
  return { beforeCommit, rows };
}

describe('dirty marks beside a rebuild', { skip: postgres.skip }, () => {
  test('a visitor marked while a rebuild holds it is marked again once the rebuild commits', async () => {
    const db = await postgres.create();
    const [one, two] = [await db.open(), await db.open()];
    try {
      await sql`insert into staging.dirty_visitors values ('c1', 's:a')`.execute(one.db);
      const { beforeCommit, rows } = await meetRebuild(one.db, two.db, 'dirty_visitors', (b) =>
        b.transaction().execute((trx) => markVisitorsDirty(trx, ['c1', 'c1'], ['s:b', 's:a'])),
      );
      assert.equal(beforeCommit, false, 'the writer waits for the rebuild that holds its key');
      assert.deepEqual(rows.map((r) => `${r.customer_id}/${r.visitor_key}`).sort(), ['c1/s:a', 'c1/s:b']);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('a day marked by a session rebuild while a day rebuild holds it is marked again; so is a reprocess', async () => {
    const db = await postgres.create();
    const [one, two] = [await db.open(), await db.open()];
    try {
      await sql`insert into staging.dirty_days values ('c1', '2026-11-20')`.execute(one.db);
      const marked = await meetRebuild(one.db, two.db, 'dirty_days', (b) =>
        b.transaction().execute(async (trx) => {
          await sql`create temp table marked_days (customer_id text, day date) on commit drop`.execute(trx);
          await sql`insert into marked_days values ('c1', '2026-11-20'), ('c1', '2026-11-21')`.execute(trx);
          await markMarkedDaysDirty(trx);
        }),
      );
      assert.equal(marked.beforeCommit, false);
      assert.deepEqual(marked.rows.map((r) => String((r.day as Date).toISOString().slice(0, 10))).sort(), ['2026-11-20', '2026-11-21']);

      await sql`insert into business.daily_conversions (customer_id, day, event_type, conversions, value) values ('c1', '2026-11-20', 'signup', 1, 0)`.execute(
        one.db,
      );
      const reprocessed = await meetRebuild(one.db, two.db, 'dirty_days', async (b) => {
        await markForReprocess(b, new Date('2026-11-01T00:00:00Z'));
      });
      assert.equal(reprocessed.beforeCommit, false);
      assert.deepEqual(
        reprocessed.rows.map((r) => String((r.day as Date).toISOString().slice(0, 10))),
        ['2026-11-20'],
      );
    } finally {
      await one.close();
      await two.close();
    }
  });
});
