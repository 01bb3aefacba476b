import { sql, type Kysely } from 'kysely';

/**
 * A fetched backfill page is kept in the form its merge reads fastest: COPY
 * text on Postgres (the merge copies it), JSON on the embedded database
 * (which has no COPY FROM STDIN; the merge reads it with json_to_recordset),
 * as bytes either way. Pages written by the previous version are dropped: a
 * backfill that was waiting on them fetches them again, as after a database
 * crash (the table is unlogged).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`delete from backfill_pages`.execute(db);
  await sql`alter table backfill_pages drop column rows`.execute(db);
  await sql`alter table backfill_pages add column format text not null check (format in ('copy', 'json'))`.execute(db);
  await sql`alter table backfill_pages add column rows bytea not null`.execute(db);
  await sql`alter table backfill_pages alter column rows set storage external`.execute(db);
}
