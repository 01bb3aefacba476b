/** Bookmarks of the catalogue steps (crawler-check's "updated since"), one function each. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function readBookmark(db: Db, name: string): Promise<string | undefined> {
  return (await db.selectFrom('catalogue_bookmarks').select('value').where('name', '=', name).executeTakeFirst())?.value;
}

/** Called in the transaction that committed the data it covers. */
export async function advanceBookmark(db: Db, name: string, value: string, now: Date): Promise<void> {
  await db
    .insertInto('catalogue_bookmarks')
    .values({ name, value, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
    .execute();
}
