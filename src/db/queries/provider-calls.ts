/**
 * The ledger of calls made to a provider, per credential: the hourly budget is
 * counted here, so it holds across processes and hosts. A credential is
 * stored as a hash, never as the key itself.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { commitsMayDeferFlush } from '../commit.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

const HOUR_MS = 3_600_000;
/** Advisory locks of this module live under their own class id (the run locks use another). */
const BUDGET_LOCK_CLASS = 7_302;

export function credentialKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 32);
}

export interface CallTaken {
  taken: boolean;
  /** Calls in the rolling hour before this one. */
  used: number;
  /** When a call is refused: the moment the oldest call of the window leaves it. */
  freeAt?: Date;
}

/**
 * Takes `count` calls (one by default) from the credential's budget of
 * `perHour` calls in any rolling hour, all or none, or refuses. Serialised per credential by a transaction-scoped advisory
 * lock, so two processes never both take the last call.
 */
export async function takeProviderCall(db: Db, credential: string, now: Date, perHour: number, count = 1): Promise<CallTaken> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${BUDGET_LOCK_CLASS}::int, hashtext(${credential}))`.execute(tx);
    const since = new Date(now.getTime() - HOUR_MS);
    const { rows } = await sql<{ used: number; oldest: Date | null }>`
      select count(*)::int as used, min(called_at) as oldest
      from provider_calls where credential = ${credential} and called_at > ${since}`.execute(tx);
    const used = rows[0]?.used ?? 0;
    if (used + count > perHour) {
      const oldest = rows[0]?.oldest ? new Date(rows[0].oldest) : now;
      return { taken: false, used, freeAt: new Date(oldest.getTime() + HOUR_MS) };
    }
    await tx
      .insertInto('provider_calls')
      .values(Array.from({ length: count }, () => ({ credential, called_at: now })))
      .execute();
    return { taken: true, used };
  });
}

export async function callsInLastHour(db: Db, credential: string, now: Date): Promise<number> {
  const since = new Date(now.getTime() - HOUR_MS);
  const { rows } = await sql<{ used: number }>`
    select count(*)::int as used from provider_calls where credential = ${credential} and called_at > ${since}`.execute(db);
  return rows[0]?.used ?? 0;
}

/** Drops ledger rows older than two hours: they count for nothing any more. */
export async function pruneProviderCalls(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('provider_calls')
    .where('called_at', '<', new Date(now.getTime() - 2 * HOUR_MS))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The credential's `slots` slot rows, made once (a process asks once per credential). */
export async function ensureProviderSlots(db: Db, credential: string, slots: number): Promise<void> {
  await sql`
    insert into provider_slots (credential, slot) select ${credential}, g from generate_series(0, ${slots - 1}::int) as g
    on conflict do nothing`.execute(db);
}

export interface CallAndSlot {
  /** The slot taken, or undefined when every slot is held (then no call was taken either). */
  slot?: number;
  /** The budget refused the call (then no slot was taken). */
  refused?: { used: number; freeAt: Date };
}

/**
 * Before one call: takes one of the credential's `slots` in-flight slots for
 * `holder` until the lease ends (the database's clock: real time, whatever
 * OPS_NOW says) and, unless the call was paid for ahead (`count` 0), `count`
 * calls from its budget of `perHour` in any rolling hour; both or neither.
 * One transaction (made after ensureProviderSlots): the budget's advisory
 * lock, then one statement that counts, takes a free slot (SKIP LOCKED: two
 * processes race for slots without waiting on each other) and records the
 * call only with the slot.
 *
 * On Postgres it commits without waiting for the WAL flush (synchronous_commit
 * off; see commitsMayDeferFlush for why not on the embedded database): this
 * runs before every call, and four flushes a call were a seventh of a
 * backfill's time. What a server crash can then lose is the last few
 * hundred milliseconds of these rows (never a later one without an earlier:
 * the WAL replays in order, and any synchronous commit flushes them all):
 * a call or two that the budget then does not count for the rest of its hour
 * (the provider answers a call over its limit with a throttle, which slows
 * us down), and a slot that looks free or held by an older holder (a third
 * call at once answered by a 429 and retried, or a wait until the lease
 * ends). Against a 1000-calls hourly budget and a crash of the database
 * server, that is harmless; a process crash loses nothing.
 */
export async function takeProviderCallAndSlot(
  db: Db,
  credential: string,
  call: { now: Date; perHour: number; count: number; slots: number; holder: string; leaseMs: number },
): Promise<CallAndSlot> {
  const { now, perHour, count, slots, holder, leaseMs } = call;
  const since = new Date(now.getTime() - HOUR_MS);
  const noFlush = commitsMayDeferFlush(db) ? sql`, (select set_config('synchronous_commit', 'off', true)) as no_flush` : sql``;
  const take = async (tx: Db): Promise<CallAndSlot> => {
    const { rows } = await sql<{ used: number; oldest: Date | null; slot: number | null }>`
      with used as (
        select count(*)::int as used, min(called_at) as oldest from provider_calls where credential = ${credential} and called_at > ${since}
      ), slot as (
        update provider_slots set holder = ${holder}, until = clock_timestamp() + ${leaseMs}::int * interval '1 millisecond'
        where (credential, slot) = (
          select credential, slot from provider_slots
          where credential = ${credential} and slot < ${slots}::int and (holder is null or until < clock_timestamp())
          order by slot limit 1 for update skip locked)
        and (${count}::int = 0 or (select used from used) + ${count}::int <= ${perHour}::int)
        returning slot
      ), called as (
        insert into provider_calls (credential, called_at) select ${credential}, ${now}::timestamptz from slot, generate_series(1, ${count}::int)
      )
      select used, oldest, (select slot from slot) as slot from used ${noFlush}`.execute(tx);
    const row = rows[0]!;
    if (count > 0 && row.used + count > perHour) {
      return { refused: { used: row.used, freeAt: new Date((row.oldest ? new Date(row.oldest) : now).getTime() + HOUR_MS) } };
    }
    return { slot: row.slot ?? undefined };
  };
  // A call paid for ahead takes only a slot: the statement alone (set_config's local setting holds for its
  // own transaction, up to the commit). Otherwise the budget's lock first, in a statement of its own, so
  // that the count reads every call committed before the lock was granted.
  if (count === 0) return take(db);
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${BUDGET_LOCK_CLASS}::int, hashtext(${credential}))`.execute(tx);
    return take(tx);
  });
}

/** Frees a slot after its call (on Postgres committed without a flush: a lost release only makes the slot wait out its lease). */
export async function releaseProviderSlot(db: Db, credential: string, slot: number, holder: string): Promise<void> {
  const noFlush = commitsMayDeferFlush(db) ? sql`and set_config('synchronous_commit', 'off', true) is not null` : sql``;
  await sql`
    update provider_slots set holder = null, until = null
    where credential = ${credential} and slot = ${slot} and holder = ${holder} ${noFlush}`.execute(db);
}
