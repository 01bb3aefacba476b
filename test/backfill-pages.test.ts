/**
 * A backfill page's write path, on both databases: a page prepared for its
 * merge (COPY text on Postgres, JSON on the embedded database) and merged
 * gives exactly the rows upsertParticipants gives, on a first pass, over
 * stored rows, and without its id range; page transactions of a backfill
 * commit asynchronously on Postgres, and only they.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { commitsMayDeferFlush } from '../src/db/commit.js';
import { addPartner } from '../src/db/queries/partners.js';
import { markRemoved, mergePreparedPage, type ParticipantRow, preparePage, upsertParticipants } from '../src/db/queries/participants.js';
import { upsertRace, upsertRaceEvent } from '../src/db/queries/race-events.js';
import type { Database } from '../src/db/schema.js';
import { inPageTransaction } from '../src/tasks/races/page-transaction.js';
import type { EventSyncDeps } from '../src/tasks/races/event-sync.js';
import { backends } from './helpers/db.js';

const T0 = new Date('2026-06-01T12:00:00.123Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

/** Rows with what COPY text must escape or keep: tabs, line breaks, backslashes, a literal \N, quotes, non-ASCII, nulls. */
function awkward(id: number, extra: Partial<ParticipantRow> = {}): ParticipantRow {
  const odd = id % 2 === 1;
  return {
    registrationId: id,
    userId: odd ? id + 1000 : null,
    firstName: odd ? `Ann\tMarie ${id}` : 'Zoë 🏃',
    lastName: odd ? 'O\'Brien, "Jr"\\N' : 'Line\nbreak\r\nand \\ back',
    email: `p${id}@example.com`,
    dob: odd ? '1991-04-02' : null,
    gender: odd ? 'F' : null,
    age: odd ? 34 : null,
    bibNum: String(id),
    chipNum: odd ? null : `C${id}`,
    registrationDate: odd ? T0 : new Date('0999-12-31T23:59:59Z'),
    lastModified: odd ? later(id) : null,
    amountPaid: odd ? '1045.50' : null,
    teamInfo: odd ? { team: 'A\t{x}\n"q"\\', id } : null,
    city: 'Boston',
    state: 'MA',
    zipcode: '02110',
    countryCode: 'US',
    ...extra,
  };
}

async function event(k: Kysely<Database>, eventId: number): Promise<void> {
  const partner = await addPartner(k, { name: `P${eventId}`, provider: 'runsignup', keyEnv: 'P_KEY', secretEnv: 'P_SECRET' }, T0);
  await upsertRace(
    k,
    partner.id,
    { raceId: eventId, name: 'Harbor', timezone: 'UTC', nextDate: null, nextEndDate: null, lastModified: null, address: null },
    T0,
  );
  await upsertRaceEvent(
    k,
    partner.id,
    eventId,
    'UTC',
    { eventId, name: '10K', startTime: later(3600_000), endTime: null, eventType: null, distance: null },
    T0,
  );
}

/** Every column but event_id, by registration. */
async function rowsOf(k: Kysely<Database>, eventId: number) {
  const rows = await k.selectFrom('participants').selectAll().where('event_id', '=', eventId).orderBy('registration_id').execute();
  return rows.map(({ event_id: _, ...row }) => row);
}

for (const backend of backends) {
  describe(`backfill page writes on ${backend.name}`, { skip: backend.skip }, () => {
    test('a prepared page merges to the rows upsertParticipants writes: first pass, over stored rows, and without its id range', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        for (const id of [1, 2, 3]) await event(k, id);
        const first = [awkward(1), awkward(2), awkward(3), awkward(2, { bibNum: 'B2' }), awkward(10)];
        assert.equal(await upsertParticipants(k, 1, 1, first, T0), 4);
        const prepared = await preparePage(k, 2, 2, first, T0);
        assert.equal(prepared.format, backend.name === 'postgres' ? 'copy' : 'json');
        assert.equal(await mergePreparedPage(k, 2, 2, prepared, T0), 4);
        assert.deepEqual(
          (await rowsOf(k, 2)).map((r) => ({ ...r, race_id: 1 })),
          await rowsOf(k, 1),
        );
        assert.equal((await rowsOf(k, 2))[1]!.last_name, 'Line\nbreak\r\nand \\ back');

        // A second pass over stored rows: changed, new and removed-then-listed-again rows.
        for (const e of [1, 2]) await markRemoved(k, e, e, [{ registrationId: 3, lastModified: null, reason: 'removed', newRegistrationId: null }], later(5));
        const second = [awkward(2, { age: 40, teamInfo: [1, 'two'] }), awkward(3), awkward(4), awkward(11, { firstName: null })];
        assert.equal(await upsertParticipants(k, 1, 1, second, later(10)), 4);
        const again = await preparePage(k, 2, 2, second, later(10));
        assert.equal(await mergePreparedPage(k, 2, 2, again, later(10)), 4);
        assert.deepEqual(
          (await rowsOf(k, 2)).map((r) => ({ ...r, race_id: 1 })),
          await rowsOf(k, 1),
        );
        assert.equal((await rowsOf(k, 2)).find((r) => Number(r.registration_id) === 3)?.removed_at, null, 'listed again: current again');

        // Without its id range (the merge cannot tell a first pass), through the temporary table: the same again.
        const kept = await preparePage(k, 3, 3, first, T0);
        assert.equal(await mergePreparedPage(k, 3, 3, kept.format === 'copy' ? { ...kept, ids: undefined } : kept, T0), 4);
        const merged = await preparePage(k, 3, 3, second, later(10));
        assert.equal(await mergePreparedPage(k, 3, 3, merged, later(10)), 4);
        await markRemoved(k, 3, 3, [{ registrationId: 3, lastModified: null, reason: 'removed', newRegistrationId: null }], later(5));
        await mergePreparedPage(k, 3, 3, merged, later(10));
        assert.deepEqual(
          (await rowsOf(k, 3)).map((r) => ({ ...r, race_id: 1 })),
          await rowsOf(k, 1),
        );
      });
    });

    test("a backfill's page transaction commits asynchronously on Postgres (never on the embedded database: it dies with the process); the next transaction does not", async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        await event(k, 5);
        await k
          .updateTable('race_events')
          .set({ lease_owner: 'run-a', lease_until: later(60_000) })
          .where('event_id', '=', 5)
          .execute();
        const deps = { db: k, owner: 'run-a', now: () => T0, signal: new AbortController().signal, config: { leaseSeconds: 60 } } as unknown as EventSyncDeps;
        const setting = async (tx: Kysely<Database>) => (await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(tx)).rows[0]!.s;
        let inside = '';
        await inPageTransaction(
          deps,
          5,
          async (tx) => {
            inside = await setting(tx);
          },
          { asyncCommit: true },
        );
        assert.equal(inside, backend.name === 'postgres' ? 'off' : 'on');
        await inPageTransaction(deps, 5, async (tx) => {
          inside = await setting(tx);
        });
        assert.equal(inside, 'on');
      });
    });

    test('commitsMayDeferFlush answers from the handle that opened the database, borrowing no connection (asked of the pool while a transaction holds one)', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const expected = backend.name === 'postgres';
        // A look-up that borrowed a connection would wait here for the transaction's, the embedded database's only one.
        const answer = (of: Kysely<Database>) =>
          Promise.race([Promise.resolve(commitsMayDeferFlush(of)), new Promise((resolve) => setTimeout(resolve, 2_000, 'waited for a connection'))]);
        assert.equal(await answer(k), expected);
        await k.transaction().execute(async (tx) => {
          assert.equal(await answer(tx), expected);
          assert.equal(await answer(k), expected);
        });
      });
    });
  });
}
