/**
 * Every statement on backfill_pages: fetched backfill pages waiting to be
 * merged into participants, each as the provider sent it (see
 * migrations/0011_backfill_pages.ts and 0015_backfill_page_bodies.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface FetchedPage {
  page: number;
  /** The provider's answer, as it came. */
  body: Uint8Array;
  last: boolean;
}

export async function storeFetchedPage(db: Db, eventId: number, page: FetchedPage, at: Date): Promise<void> {
  const values = { body: page.body, last: page.last, fetched_at: at };
  await db
    .insertInto('backfill_pages')
    .values({ event_id: eventId, page: page.page, ...values })
    .onConflict((oc) => oc.columns(['event_id', 'page']).doUpdateSet(values))
    .execute();
}

/** The event's fetched pages not yet merged, in page order (without their bodies). */
export async function fetchedPages(db: Db, eventId: number): Promise<Array<{ page: number; last: boolean }>> {
  return db.selectFrom('backfill_pages').select(['page', 'last']).where('event_id', '=', eventId).orderBy('page').execute();
}

/** One waiting page's body (a resumed backfill merges it). */
export async function fetchedPageBody(db: Db, eventId: number, page: number): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('backfill_pages').select('body').where('event_id', '=', eventId).where('page', '=', page).executeTakeFirst();
  return row?.body;
}

/** Removes a merged page (in the merge's transaction); whether it was there. */
export async function takeFetchedPage(db: Db, eventId: number, page: number): Promise<boolean> {
  const result = await db.deleteFrom('backfill_pages').where('event_id', '=', eventId).where('page', '=', page).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A backfill started over forgets the pages of the pass before. */
export async function forgetFetchedPages(db: Db, eventId: number): Promise<void> {
  await db.deleteFrom('backfill_pages').where('event_id', '=', eventId).execute();
}
