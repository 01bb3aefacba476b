import { sql, type Kysely } from 'kysely';

/**
 * Backfill pages are merged as they come (src/tasks/races/backfill.ts says
 * why): no fetched page waits to be merged any more. Pages that an earlier
 * version left waiting are fetched again by the resumed backfill, as after a
 * database crash (the table was unlogged).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists backfill_pages`.execute(db);
}
