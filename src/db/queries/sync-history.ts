/** Every statement on sync_history: one row per backfill or incremental sync of an event. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SyncKind = 'full_sync' | 'incremental';
export type SyncStatus = 'running' | 'completed' | 'failed' | 'deferred' | 'interrupted';

export interface SyncCounts {
  upserted?: number;
  removed?: number;
  failed?: number;
  apiCalls?: number;
  pages?: number;
}

export async function startSyncHistory(
  db: Db,
  row: { eventId: number; partnerId: number; kind: SyncKind; runId: string; startedAt: Date; bookmarkBefore: Date | null },
): Promise<number> {
  // Rows this event left `running` belong to a process that is gone: we hold the event's lease.
  await db
    .updateTable('sync_history')
    .set({ status: 'interrupted', finished_at: row.startedAt, error: 'the process stopped before this sync finished' })
    .where('event_id', '=', row.eventId)
    .where('status', '=', 'running')
    .execute();
  const inserted = await db
    .insertInto('sync_history')
    .values({
      event_id: row.eventId,
      partner_id: row.partnerId,
      kind: row.kind,
      run_id: row.runId,
      status: 'running',
      started_at: row.startedAt,
      bookmark_before: row.bookmarkBefore,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(inserted.id);
}

/** Adds a page's counts; written in the page's transaction. */
export async function addSyncCounts(db: Db, id: number, counts: SyncCounts): Promise<void> {
  await sql`
    update sync_history set
      records_upserted = records_upserted + ${counts.upserted ?? 0},
      records_removed = records_removed + ${counts.removed ?? 0},
      records_failed = records_failed + ${counts.failed ?? 0},
      api_calls = api_calls + ${counts.apiCalls ?? 0},
      pages = pages + ${counts.pages ?? 0}
    where id = ${id}`.execute(db);
}

export async function finishSyncHistory(
  db: Db,
  id: number,
  end: { status: Exclude<SyncStatus, 'running'>; finishedAt: Date; bookmarkAfter?: Date | null; error?: string | null; apiCalls?: number },
): Promise<void> {
  await sql`
    update sync_history set status = ${end.status}, finished_at = ${end.finishedAt}, bookmark_after = ${end.bookmarkAfter ?? null},
      error = ${end.error ?? null}, api_calls = api_calls + ${end.apiCalls ?? 0}
    where id = ${id}`.execute(db);
}

export interface SyncHistoryRow {
  id: number;
  event_id: number;
  kind: SyncKind;
  run_id: string;
  status: SyncStatus;
  started_at: Date;
  finished_at: Date | null;
  records_upserted: number;
  records_removed: number;
  records_failed: number;
  api_calls: number;
  pages: number;
  bookmark_before: Date | null;
  bookmark_after: Date | null;
  error: string | null;
}

export async function recentSyncHistory(db: Db, options: { eventId?: number; runId?: string; limit?: number } = {}): Promise<SyncHistoryRow[]> {
  const { rows } = await sql<SyncHistoryRow>`
    select id::float8 as id, event_id::float8 as event_id, kind, run_id, status, started_at, finished_at, records_upserted, records_removed,
           records_failed, api_calls, pages, bookmark_before, bookmark_after, error
    from sync_history
    where true ${options.eventId === undefined ? sql`` : sql`and event_id = ${options.eventId}`}
               ${options.runId === undefined ? sql`` : sql`and run_id = ${options.runId}`}
    order by started_at desc, id desc
    limit ${options.limit ?? 20}`.execute(db);
  return rows;
}

/** Per event: its last sync of any outcome. */
export async function lastSyncPerEvent(db: Db): Promise<Map<number, SyncHistoryRow>> {
  const { rows } = await sql<SyncHistoryRow>`
    select distinct on (event_id) id::float8 as id, event_id::float8 as event_id, kind, run_id, status, started_at, finished_at,
           records_upserted, records_removed, records_failed, api_calls, pages, bookmark_before, bookmark_after, error
    from sync_history order by event_id, started_at desc, id desc`.execute(db);
  return new Map(rows.map((r) => [Number(r.event_id), r]));
}
