import { sql, type Kysely } from 'kysely';

/**
 * A fetched backfill page is kept as the provider sent it (its body, as
 * bytes): the next page can be asked for as soon as it is written, and its
 * rows are validated and made ready to merge while that request is out. How
 * many of its rows fail is known only then, so the page no longer says.
 * Pages written by the previous version are dropped: a backfill that was
 * waiting on them fetches them again, as after a database crash (the table
 * is unlogged).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`delete from backfill_pages`.execute(db);
  await sql`alter table backfill_pages drop column format, drop column rejected`.execute(db);
  await sql`alter table backfill_pages rename column rows to body`.execute(db);
}
