/** Every statement on catalogue_urls, one function each. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CatalogueRef {
  id: number;
  url: string;
  airtable_record_id: string | null;
  page_status: string | null;
}

/** Rows that have one of these URLs or Airtable record ids. */
export async function findByUrlsOrRecords(db: Db, urls: string[], recordIds: string[]): Promise<CatalogueRef[]> {
  if (urls.length === 0 && recordIds.length === 0) return [];
  return db
    .selectFrom('catalogue_urls')
    .select(['id', 'url', 'airtable_record_id', 'page_status'])
    .where((eb) => eb.or([...(urls.length ? [eb('url', 'in', urls)] : []), ...(recordIds.length ? [eb('airtable_record_id', 'in', recordIds)] : [])]))
    .execute();
}

export async function insertUrl(db: Db, row: { url: string; originalUrl: string; recordId: string; pageStatus: string | null }, now: Date): Promise<void> {
  await db
    .insertInto('catalogue_urls')
    .values({
      url: row.url,
      original_url: row.originalUrl,
      airtable_record_id: row.recordId,
      page_status: row.pageStatus,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export async function setPageStatus(db: Db, id: number, pageStatus: string | null, recordId: string, now: Date): Promise<void> {
  await db.updateTable('catalogue_urls').set({ page_status: pageStatus, airtable_record_id: recordId, updated_at: now }).where('id', '=', id).execute();
}

/** A record that now names another page: the row follows it and is catalogued afresh. */
export async function moveRecordUrl(db: Db, id: number, row: { url: string; originalUrl: string; pageStatus: string | null }, now: Date): Promise<void> {
  await db
    .updateTable('catalogue_urls')
    .set({ url: row.url, original_url: row.originalUrl, page_status: row.pageStatus, status_code: 0, catalogued: false, fetch_status: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** The crawler saw these pages change: new status code, catalogued again unless already marked for this change. */
export async function markCrawlerUpdates(
  db: Db,
  updates: Array<{ url: string; statusCode: number; updatedAt: Date }>,
  now: Date,
): Promise<{ marked: number; unknown: number }> {
  let marked = 0;
  let unknown = 0;
  for (const u of updates) {
    const row = await db.selectFrom('catalogue_urls').select(['id', 'crawler_updated_at']).where('url', '=', u.url).executeTakeFirst();
    if (!row) {
      unknown += 1;
      continue;
    }
    // The same change seen twice (a rerun, the bookmark's overlap) is not a new one.
    if (row.crawler_updated_at && new Date(row.crawler_updated_at).getTime() >= u.updatedAt.getTime()) continue;
    await db
      .updateTable('catalogue_urls')
      .set({ status_code: u.statusCode, catalogued: false, crawler_updated_at: u.updatedAt, fetch_status: null, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    marked += 1;
  }
  return { marked, unknown };
}

/** Active pages known to Airtable: the ones zero-sessions may pause. */
export async function activeRecords(db: Db): Promise<Array<{ id: number; url: string; airtable_record_id: string }>> {
  const rows = await db
    .selectFrom('catalogue_urls')
    .select(['id', 'url', 'airtable_record_id'])
    .where('page_status', '=', 'Active')
    .where('airtable_record_id', 'is not', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, airtable_record_id: r.airtable_record_id! }));
}

export async function setPageStatusByRecords(db: Db, recordIds: string[], pageStatus: string, now: Date): Promise<number> {
  if (recordIds.length === 0) return 0;
  const result = await db
    .updateTable('catalogue_urls')
    .set({ page_status: pageStatus, updated_at: now })
    .where('airtable_record_id', 'in', recordIds)
    .executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0);
}

/** Pages waiting for the LLM: not catalogued, status 0 or 200 (cost control: nothing else is ever sent). */
export async function waitingUrls(db: Db, filter: { limit?: number; url?: string }): Promise<Array<{ id: number; url: string }>> {
  let query = db.selectFrom('catalogue_urls').select(['id', 'url']).where('catalogued', '=', false).where('status_code', 'in', [0, 200]).orderBy('id');
  if (filter.url) query = query.where('url', '=', filter.url);
  if (filter.limit) query = query.limit(filter.limit);
  return query.execute();
}

export async function findUrl(db: Db, url: string) {
  return db.selectFrom('catalogue_urls').select(['id', 'url', 'catalogued', 'status_code', 'fetch_status']).where('url', '=', url).executeTakeFirst();
}

/** The page answered a redirect (recorded as its status: never catalogued) or an error (kept waiting for a later run). */
export async function recordFetchOutcome(
  db: Db,
  id: number,
  outcome: { status: number; redirect: boolean; error: string | null; resolvedUrl: string | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('catalogue_urls')
    .set({
      fetch_status: outcome.status,
      ...(outcome.redirect ? { status_code: outcome.status } : {}),
      resolved_url: outcome.resolvedUrl,
      last_error: outcome.error,
      fetch_attempts: sql<number>`fetch_attempts + 1`,
      fetched_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export interface CatalogueEntry {
  pageType: string;
  productOrService: string | null;
  category: string | null;
  location: string | null;
  keywords: string[];
  summary: string;
}

export interface CataloguedRow {
  id: number;
  entry: CatalogueEntry;
  model: string;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  resolvedUrl: string | null;
  status: number;
  at: Date;
}

/**
 * Catalogued pages stored, many in one statement (one round trip, one
 * transaction): the entries that arrive while a write runs go in the next.
 */
export async function recordCatalogued(db: Db, rows: CataloguedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(
    (r) =>
      sql`(${r.id}::integer, ${r.status}::integer, ${r.resolvedUrl}::text, ${r.entry.pageType}::text, ${r.entry.productOrService}::text,
        ${r.entry.category}::text, ${r.entry.location}::text, ${JSON.stringify(r.entry.keywords)}::jsonb, ${r.entry.summary}::text,
        ${r.model}::text, ${r.tokensIn}::integer, ${r.tokensOut}::integer, ${r.cost}::numeric, ${r.at}::timestamptz)`,
  );
  await sql`
    update catalogue_urls as c set
      catalogued = true, status_code = v.status, fetch_status = v.status, resolved_url = v.resolved_url, last_error = null,
      page_type = v.page_type, product_or_service = v.product_or_service, category = v.category, location = v.location,
      keywords = v.keywords, summary = v.summary, model = v.model,
      tokens_in = c.tokens_in + v.tokens_in, tokens_out = c.tokens_out + v.tokens_out, estimated_cost = c.estimated_cost + v.cost,
      fetch_attempts = c.fetch_attempts + 1, catalogued_at = v.at, fetched_at = v.at, updated_at = v.at
    from (values ${sql.join(values)}) as v(id, status, resolved_url, page_type, product_or_service, category, location, keywords, summary, model, tokens_in, tokens_out, cost, at)
    where c.id = v.id`.execute(db);
}

/** A failed LLM call still cost its tokens. */
export async function recordCatalogueFailure(db: Db, id: number, error: string, usage: { tokensIn: number; tokensOut: number; cost: number }, now: Date) {
  await db
    .updateTable('catalogue_urls')
    .set({
      last_error: error,
      tokens_in: sql<number>`tokens_in + ${usage.tokensIn}`,
      tokens_out: sql<number>`tokens_out + ${usage.tokensOut}`,
      estimated_cost: sql<number>`estimated_cost + ${usage.cost}`,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/** Counts by state, for catalogue-status. */
export async function catalogueCounts(db: Db) {
  const row = await db
    .selectFrom('catalogue_urls')
    .select([
      sql<number>`count(*)::int`.as('total'),
      sql<number>`(count(*) filter (where catalogued))::int`.as('catalogued'),
      sql<number>`(count(*) filter (where not catalogued and status_code in (0, 200)))::int`.as('waiting'),
      sql<number>`(count(*) filter (where not catalogued and status_code in (0, 200) and fetch_status >= 400))::int`.as('fetch_errors'),
      sql<number>`(count(*) filter (where status_code in (301, 302)))::int`.as('redirects'),
      sql<number>`(count(*) filter (where status_code not in (0, 200, 301, 302)))::int`.as('other_status'),
      sql<number>`(count(*) filter (where page_status = 'Active'))::int`.as('active'),
      sql<number>`(count(*) filter (where page_status = 'Paused'))::int`.as('paused'),
      sql<number>`coalesce(sum(tokens_in), 0)::bigint`.as('tokens_in'),
      sql<number>`coalesce(sum(tokens_out), 0)::bigint`.as('tokens_out'),
      sql<string>`coalesce(sum(estimated_cost), 0)::text`.as('cost'),
    ])
    .executeTakeFirstOrThrow();
  return { ...row, tokens_in: Number(row.tokens_in), tokens_out: Number(row.tokens_out), cost: Number(row.cost) };
}

export async function waitingPreview(db: Db, limit: number) {
  return db
    .selectFrom('catalogue_urls')
    .select(['url', 'status_code', 'fetch_status', 'fetch_attempts', 'last_error'])
    .where('catalogued', '=', false)
    .where('status_code', 'in', [0, 200])
    .orderBy('id')
    .limit(limit)
    .execute();
}
