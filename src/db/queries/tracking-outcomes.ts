/**
 * The write half of a staging chunk, in the caller's transaction. Each valid
 * row's outcome: the first of its (customer_id, event_id) — in staging, else in
 * this chunk — is staged; a later one with the same content (sent_at aside) is
 * a counted duplicate, with other content a quarantined conflict. The staged
 * rows go in with one COPY; duplicates, quarantine rows and dirty visitors in
 * one statement each.
 */
import { sql, type Kysely } from 'kysely';
import { copyRows } from '../copy.js';
import { markVisitorsDirty } from './tracking-dirty.js';
import type { Database } from '../schema.js';
import { type CheckedChunk, type ChunkResult, type RejectedRow, STAGING_COLUMNS } from './tracking-staging.js';
import type { StagingRows } from './tracking-staging-rows.js';
import { tuneTransaction } from './tracking-tuning.js';

type Db = Kysely<Database>;

/**
 * Below this many rows a chunk looks its keys up in staging before its COPY;
 * above, it copies first and looks up only if a key was staged before (the
 * COPY then fails on the primary key and is redone without those rows). A
 * redelivery rarely straddles two chunks of a backlog, and the lookup costs
 * about as much as the index insert it precedes; a small run (cron every few
 * minutes) is where redeliveries from an earlier run land, and there a failed
 * COPY would be an error line in the server's log each time.
 */
const LOOKUP_FIRST_BELOW = 5_000;

const keyOf = (customerId: string, eventId: string) => `${customerId}\u0000${eventId}`;

interface Staged {
  rawId: number;
  contentHash: string;
}

/** The rows staging already holds for the keys of these rows. */
async function stagedKeys(trx: Db, rows: StagingRows, indexes: number[]): Promise<Map<string, Staged>> {
  const found = new Map<string, Staged>();
  if (indexes.length === 0) return found;
  // lateral … limit 1: one primary-key probe per key, never a scan of staging.events.
  const { rows: hits } = await sql<{ customer_id: string; event_id: string; raw_id: number; content_hash: string }>`
    select k.customer_id, k.event_id, s.raw_id, s.content_hash
    from unnest(${indexes.map((i) => rows.customerIds[i])}::text[], ${indexes.map((i) => rows.eventIds[i])}::text[]) as k(customer_id, event_id)
    cross join lateral (select e.raw_id, e.content_hash from staging.events e where e.customer_id = k.customer_id and e.event_id = k.event_id limit 1) s`.execute(
    trx,
  );
  for (const r of hits) found.set(keyOf(r.customer_id, r.event_id), { rawId: Number(r.raw_id), contentHash: r.content_hash });
  return found;
}

/** Copies the chunk's first row of each key not staged before; returns what staging held before for the others. */
async function copyFirsts(trx: Db, rows: StagingRows, firsts: number[]): Promise<Map<string, Staged>> {
  const copy = (indexes: number[]) => copyRows(trx, 'staging.events', STAGING_COLUMNS, rows.copyText(rows.inKeyOrder(indexes)));
  const lookUp = async () => {
    const before = await stagedKeys(trx, rows, firsts);
    await copy(before.size === 0 ? firsts : firsts.filter((i) => !before.has(keyOf(rows.customerIds[i], rows.eventIds[i]))));
    return before;
  };
  if (firsts.length < LOOKUP_FIRST_BELOW) return lookUp();
  await sql`savepoint staging_copy`.execute(trx);
  try {
    await copy(firsts);
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await sql`rollback to savepoint staging_copy`.execute(trx);
    return lookUp();
  }
  await sql`release savepoint staging_copy`.execute(trx);
  return new Map();
}

export async function writeChunk(trx: Db, chunk: CheckedChunk, opts: { version: string; now: Date; runId: string }): Promise<ChunkResult> {
  const { version, now } = opts;
  await tuneTransaction(trx);
  const rows = chunk.valid;
  const keys = rows.customerIds.map((c, i) => keyOf(c, rows.eventIds[i]));
  const firstIndex = new Map<string, number>();
  const firsts: number[] = [];
  keys.forEach((key, i) => {
    if (!firstIndex.has(key)) {
      firstIndex.set(key, i);
      firsts.push(i);
    }
  });
  const before = await copyFirsts(trx, rows, firsts);

  const inserted: number[] = [];
  const duplicates: number[] = [];
  const rejected: RejectedRow[] = [...chunk.rejected];
  keys.forEach((key, i) => {
    const earlier = before.get(key);
    const first = firstIndex.get(key)!;
    if (earlier === undefined && first === i) {
      inserted.push(i);
      return;
    }
    const staged = earlier ?? { rawId: rows.rawIds[first], contentHash: rows.contentHashes[first] };
    if (staged.contentHash === rows.contentHashes[i]) duplicates.push(i);
    else
      rejected.push({
        rawId: rows.rawIds[i],
        customerId: rows.customerIds[i],
        eventId: rows.eventIds[i],
        problem: [
          'conflict',
          'event_id',
          `customer_id ${rows.customerIds[i]} / event_id ${rows.eventIds[i]} arrived before with different content (raw id ${staged.rawId})`,
        ],
      });
  });

  await markDirtyVisitors(trx, rows, inserted);
  if (duplicates.length > 0) {
    await sql`
      insert into staging.duplicates (raw_id, customer_id, event_id, recorded_at)
      select raw_id, customer_id, event_id, ${now}
      from unnest(${duplicates.map((i) => rows.rawIds[i])}::bigint[], ${duplicates.map((i) => rows.customerIds[i])}::text[],
        ${duplicates.map((i) => rows.eventIds[i])}::text[]) as d(raw_id, customer_id, event_id)`.execute(trx);
  }
  const quarantined = await quarantine(trx, rejected, version, now);
  let recovered = 0;
  if (chunk.source.kind === 'replay') {
    const ids = [...inserted, ...duplicates].map((i) => rows.rawIds[i]);
    if (ids.length > 0) {
      const done = await sql`
        update staging.quarantine set recovered_at = ${now}, recovered_by = ${opts.runId} where raw_id = any(${ids}::bigint[])`.execute(trx);
      recovered = Number(done.numAffectedRows ?? 0);
    }
  }
  if (chunk.source.kind === 'fresh' && chunk.rows > 0) {
    await sql`update staging.pipeline_state set watermark_id = ${chunk.lastRawId}, updated_at = ${now}`.execute(trx);
  }
  return {
    rows: chunk.rows,
    lastRawId: chunk.lastRawId,
    staged: inserted.length,
    bots: inserted.filter((i) => rows.bots[i]).length,
    duplicates: duplicates.length,
    quarantined,
    recovered,
  };
}

/** Visitors with new events (bots aside) have their sessions recomputed by the business step. */
async function markDirtyVisitors(trx: Db, rows: StagingRows, inserted: number[]): Promise<void> {
  const seen = new Set<string>();
  const customers: string[] = [];
  const visitors: string[] = [];
  for (const i of inserted) {
    if (rows.bots[i]) continue;
    const key = `${rows.customerIds[i]}\u0000${rows.visitorKeys[i]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    customers.push(rows.customerIds[i]);
    visitors.push(rows.visitorKeys[i]);
  }
  await markVisitorsDirty(trx, customers, visitors);
}

/** Quarantines rows (or brings a quarantined row's reason up to date), with the original payload or bytes from raw. */
async function quarantine(trx: Db, rows: RejectedRow[], version: string, now: Date): Promise<number> {
  if (rows.length === 0) return 0;
  const message = (p: RejectedRow['problem']) => (p[1] === '' ? p[2] : `${p[1]}: ${p[2]}`);
  const { rows: out } = await sql<{ n: number }>`
    with ins as (
      insert into staging.quarantine (raw_id, received_at, customer_id, event_id, reason, message, payload, body, processor_version, quarantined_at, checked_at)
      select v.raw_id, r.received_at, v.customer_id, v.event_id, v.reason, v.message, r.payload, r.body, ${version}, ${now}, ${now}
      from unnest(${rows.map((q) => q.rawId)}::bigint[], ${rows.map((q) => q.customerId)}::text[], ${rows.map((q) => q.eventId)}::text[],
        ${rows.map((q) => q.problem[0])}::text[], ${rows.map((q) => message(q.problem))}::text[]) as v(raw_id, customer_id, event_id, reason, message)
      cross join lateral (select e.received_at, e.payload, e.body from raw.events e where e.id = v.raw_id limit 1) r
      on conflict (raw_id) do update set reason = excluded.reason, message = excluded.message,
        processor_version = excluded.processor_version, checked_at = excluded.checked_at
      returning 1
    ) select count(*)::int as n from ins`.execute(trx);
  return out[0].n;
}
