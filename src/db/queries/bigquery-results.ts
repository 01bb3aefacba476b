/** Stored BigQuery results (zero-sessions --cache reads the last one). */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface StoredResult {
  id: number;
  sql: string;
  params: Record<string, unknown>;
  rows: Array<{ url: string; sessions: number }>;
  fetchedAt: Date;
}

export async function storeResult(db: Kysely<Database>, r: Omit<StoredResult, 'id'>): Promise<number> {
  const row = await db
    .insertInto('bigquery_results')
    .values({ query_sql: r.sql, params: JSON.stringify(r.params), rows: JSON.stringify(r.rows), row_count: r.rows.length, fetched_at: r.fetchedAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function lastResult(db: Kysely<Database>): Promise<StoredResult | undefined> {
  const row = await db.selectFrom('bigquery_results').selectAll().orderBy('fetched_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row && { id: row.id, sql: row.query_sql, params: row.params, rows: row.rows, fetchedAt: new Date(row.fetched_at) };
}
