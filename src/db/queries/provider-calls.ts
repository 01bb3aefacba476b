/**
 * The ledger of calls made to a provider, per credential: the hourly budget is
 * counted here, so it holds across processes and hosts. A credential is
 * stored as a hash, never as the key itself.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
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

/**
 * Takes one of `slots` in-flight slots of the credential for `holder` until
 * the lease ends (the database's clock: real time, whatever OPS_NOW says), or
 * returns undefined when every slot is held. One short statement; SKIP LOCKED
 * lets two processes race for slots without waiting on each other.
 */
export async function takeProviderSlot(db: Db, credential: string, slots: number, holder: string, leaseMs: number): Promise<number | undefined> {
  await sql`
    insert into provider_slots (credential, slot) select ${credential}, g from generate_series(0, ${slots - 1}::int) as g
    on conflict do nothing`.execute(db);
  const { rows } = await sql<{ slot: number }>`
    update provider_slots set holder = ${holder}, until = clock_timestamp() + ${leaseMs}::int * interval '1 millisecond'
    where (credential, slot) = (
      select credential, slot from provider_slots
      where credential = ${credential} and slot < ${slots} and (holder is null or until < clock_timestamp())
      order by slot limit 1 for update skip locked)
    returning slot`.execute(db);
  return rows[0]?.slot;
}

export async function releaseProviderSlot(db: Db, credential: string, slot: number, holder: string): Promise<void> {
  await db
    .updateTable('provider_slots')
    .set({ holder: null, until: null })
    .where('credential', '=', credential)
    .where('slot', '=', slot)
    .where('holder', '=', holder)
    .execute();
}
