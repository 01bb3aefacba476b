/**
 * Every statement on backfill_pages: fetched backfill pages waiting to be
 * merged into participants (see migrations/0011_backfill_pages.ts and
 * 0013_backfill_page_formats.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface FetchedPage {
  page: number;
  /** The page's valid rows, as preparePage made them. */
  format: 'copy' | 'json';
  rows: Uint8Array;
  /** Rows of the page that failed validation (already reported as failed items). */
  rejected: number;
  last: boolean;
}

export async function storeFetchedPage(db: Db, eventId: number, page: FetchedPage, at: Date): Promise<void> {
  const values = { format: page.format, rows: page.rows, rejected: page.rejected, last: page.last, fetched_at: at };
  await db
    .insertInto('backfill_pages')
    .values({ event_id: eventId, page: page.page, ...values })
    .onConflict((oc) => oc.columns(['event_id', 'page']).doUpdateSet(values))
    .execute();
}

/** The event's fetched pages not yet merged, in page order (without their rows). */
export async function fetchedPages(db: Db, eventId: number): Promise<Array<{ page: number; last: boolean }>> {
  return db.selectFrom('backfill_pages').select(['page', 'last']).where('event_id', '=', eventId).orderBy('page').execute();
}

/** One waiting page's rows (a resumed backfill merges them). */
export async function fetchedPageRows(db: Db, eventId: number, page: number): Promise<{ format: 'copy' | 'json'; rows: Uint8Array } | undefined> {
  return db.selectFrom('backfill_pages').select(['format', 'rows']).where('event_id', '=', eventId).where('page', '=', page).executeTakeFirst();
}

/** Removes a merged page (in the merge's transaction); what it counted. */
export async function takeFetchedPage(db: Db, eventId: number, page: number): Promise<{ rejected: number; last: boolean } | undefined> {
  return db.deleteFrom('backfill_pages').where('event_id', '=', eventId).where('page', '=', page).returning(['rejected', 'last']).executeTakeFirst();
}

/** A backfill started over forgets the pages of the pass before. */
export async function forgetFetchedPages(db: Db, eventId: number): Promise<void> {
  await db.deleteFrom('backfill_pages').where('event_id', '=', eventId).execute();
}
