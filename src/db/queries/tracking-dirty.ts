/**
 * The dirty lists (staging.dirty_visitors, staging.dirty_days): what a
 * business rebuild must recompute. A rebuild claims rows with FOR UPDATE
 * SKIP LOCKED, reads staging, and deletes the rows it claimed when it
 * commits. A writer that marks a key while a rebuild holds it must therefore
 * wait for that rebuild and then insert the key again: `on conflict do
 * nothing` would see the claimed row still there, add nothing, and the
 * rebuild, which may not have seen the writer's rows, would delete the mark —
 * the writer's events would never reach the facts. `on conflict do update`
 * takes the row's lock, so it waits, and re-checks once the rebuild is over.
 * Keys are marked in key order, so two writers meeting on a key wait for each
 * other instead of deadlocking.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/** Marks (customer, visitor) pairs dirty and, when any was new or re-marked, the business step pending. */
export async function markVisitorsDirty(trx: Db, customers: string[], visitors: string[]): Promise<void> {
  if (customers.length === 0) return;
  await sql`
    with dirty as (
      insert into staging.dirty_visitors (customer_id, visitor_key)
      select c, v from unnest(${customers}::text[], ${visitors}::text[]) as t(c, v) order by c, v
      on conflict (customer_id, visitor_key) do update set visitor_key = excluded.visitor_key
      returning 1
    )
    update staging.pipeline_state set business_pending = true where exists (select 1 from dirty)`.execute(trx);
}

/** Marks the days collected in the temp table marked_days dirty (a session rebuild's, in its transaction). */
export async function markMarkedDaysDirty(trx: Db): Promise<void> {
  await sql`
    insert into staging.dirty_days (customer_id, day)
    select distinct customer_id, day from marked_days order by customer_id, day
    on conflict (customer_id, day) do update set day = excluded.day`.execute(trx);
}

/**
 * --reprocess --since: every visitor with events since then, and every day
 * since then that has facts, becomes dirty (already dirty ones count too).
 */
export async function markForReprocess(db: Db, since: Date): Promise<{ visitors: number; days: number }> {
  return db.transaction().execute(async (trx) => {
    const visitors = await sql`
      insert into staging.dirty_visitors (customer_id, visitor_key)
      select distinct customer_id, visitor_key from staging.events where event_time >= ${since} and not is_bot order by customer_id, visitor_key
      on conflict (customer_id, visitor_key) do update set visitor_key = excluded.visitor_key`.execute(trx);
    const days = await sql`
      insert into staging.dirty_days (customer_id, day)
      select customer_id, day from business.daily_pages where day >= (${since}::timestamptz at time zone 'UTC')::date
      union select customer_id, day from business.daily_conversions where day >= (${since}::timestamptz at time zone 'UTC')::date
      order by customer_id, day
      on conflict (customer_id, day) do update set day = excluded.day`.execute(trx);
    await sql`update staging.pipeline_state set business_pending = true`.execute(trx);
    return { visitors: Number(visitors.numAffectedRows ?? 0), days: Number(days.numAffectedRows ?? 0) };
  });
}

/**
 * Every dirty list is empty (the caller saw both rebuilds find nothing): the
 * work check may skip the business step. The state row is locked first, in
 * its own statement: a writer that marked keys and set business_pending waits
 * to commit behind it or commits before it, and the emptiness check that
 * follows, with a snapshot taken after the lock, then sees that writer's marks.
 */
export async function clearBusinessPending(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select 1 from staging.pipeline_state for update`.execute(trx);
    await sql`
      update staging.pipeline_state set business_pending = false
      where not exists (select 1 from staging.dirty_visitors) and not exists (select 1 from staging.dirty_days)`.execute(trx);
  });
}
