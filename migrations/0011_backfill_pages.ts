import { sql, type Kysely } from 'kysely';

/**
 * Backfill pages fetched but not yet merged into participants. A fetched page
 * is written here first (one row, its validated participants as JSON text:
 * cheap, so the next page can be fetched at once) and merged into participants
 * while the next one is on its way; a resumed backfill merges what is here and
 * fetches only from the page after it, so only the page in flight is ever
 * fetched twice. Unlogged and stored uncompressed: it is a hand-over, not a
 * record. A database crash empties it, and the backfill then fetches again
 * from the last merged page.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create unlogged table backfill_pages (
      event_id   bigint not null references race_events (event_id) on delete cascade,
      page       integer not null,
      rows       text not null,
      rejected   integer not null,
      last       boolean not null,
      fetched_at timestamptz not null,
      primary key (event_id, page)
    )`.execute(db);
  await sql`alter table backfill_pages alter column rows set storage external`.execute(db);
}
