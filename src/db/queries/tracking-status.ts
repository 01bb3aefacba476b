/** What tracking-status and tracking-quarantine read: the pipeline's counts, and quarantined rows. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface TrackingCounts {
  raw: number;
  staged: number;
  bots: number;
  duplicates: number;
  quarantined: number;
  recovered: number;
  pending: number;
  quarantined_by_reason: Record<string, number>;
  in_business: number;
  awaiting_business: number;
  latest_received_at: Date | null;
  latest_event_time: Date | null;
  oldest_pending_received_at: Date | null;
  watermark_id: number;
}

export async function trackingCounts(db: Db): Promise<TrackingCounts> {
  const { rows } = await sql<Record<string, any>>`
    select
      (select count(*) from raw.events)::bigint as raw,
      (select count(*) from staging.events)::bigint as staged,
      (select count(*) from staging.events where is_bot)::bigint as bots,
      (select count(*) from staging.duplicates)::bigint as duplicates,
      (select count(*) from staging.quarantine where recovered_at is null)::bigint as quarantined,
      (select count(*) from staging.quarantine where recovered_at is not null)::bigint as recovered,
      (select coalesce(sum(events), 0) from business.sessions)::bigint as in_business,
      (select max(received_at) from raw.events) as latest_received_at,
      (select max(event_time) from staging.events) as latest_event_time,
      (select watermark_id from staging.pipeline_state) as watermark_id,
      (select min(received_at) from raw.events r where r.id > (select watermark_id from staging.pipeline_state)) as oldest_unread,
      (select min(e.received_at) from staging.events e join staging.dirty_visitors d on d.customer_id = e.customer_id and d.visitor_key = e.visitor_key) as oldest_dirty,
      (select count(*) from staging.events e join staging.dirty_visitors d on d.customer_id = e.customer_id and d.visitor_key = e.visitor_key where not e.is_bot)::bigint as awaiting_business`.execute(
    db,
  );
  const r = rows[0];
  const reasons = await sql<{ reason: string; n: number }>`
    select reason, count(*)::bigint as n from staging.quarantine where recovered_at is null group by reason order by n desc, reason`.execute(db);
  const num = (v: unknown) => Number(v ?? 0);
  const raw = num(r.raw);
  const staged = num(r.staged);
  const duplicates = num(r.duplicates);
  const quarantined = num(r.quarantined);
  const pendingTimes = [r.oldest_unread, r.oldest_dirty].filter(Boolean).map((d) => new Date(d).getTime());
  return {
    raw,
    staged,
    bots: num(r.bots),
    duplicates,
    quarantined,
    recovered: num(r.recovered),
    pending: raw - staged - duplicates - quarantined,
    quarantined_by_reason: Object.fromEntries(reasons.rows.map((x) => [x.reason, num(x.n)])),
    in_business: num(r.in_business),
    awaiting_business: num(r.awaiting_business),
    latest_received_at: r.latest_received_at ? new Date(r.latest_received_at) : null,
    latest_event_time: r.latest_event_time ? new Date(r.latest_event_time) : null,
    oldest_pending_received_at: pendingTimes.length > 0 ? new Date(Math.min(...pendingTimes)) : null,
    watermark_id: num(r.watermark_id),
  };
}

export interface QuarantinedRow {
  raw_id: number;
  received_at: Date;
  customer_id: string | null;
  event_id: string | null;
  reason: string;
  message: string;
  payload: unknown;
  body: Uint8Array | null;
  processor_version: string;
  quarantined_at: Date;
  checked_at: Date;
}

export async function listQuarantine(db: Db, opts: { reason?: string; limit: number }): Promise<QuarantinedRow[]> {
  const reason = opts.reason === undefined ? sql`` : sql`and reason = ${opts.reason}`;
  const { rows } = await sql<QuarantinedRow>`
    select raw_id, received_at, customer_id, event_id, reason, message, payload, body, processor_version, quarantined_at, checked_at
    from staging.quarantine where recovered_at is null ${reason} order by raw_id desc limit ${opts.limit}`.execute(db);
  return rows.map((r) => ({ ...r, raw_id: Number(r.raw_id) }));
}

/** Raw ids a replay run recovered (the first `limit`). */
export async function recoveredBy(db: Db, runId: string, limit: number): Promise<number[]> {
  const { rows } = await sql<{ raw_id: number }>`
    select raw_id from staging.quarantine where recovered_by = ${runId} order by raw_id limit ${limit}`.execute(db);
  return rows.map((r) => Number(r.raw_id));
}

export interface EventsDay {
  day: string;
  events: number;
  page_views: number;
  sessions: number;
}

/**
 * Events in the business facts per day (bots left out, as there), from the
 * sessions table: far fewer rows than the events, and indexed by day.
 */
export async function eventsPerDay(db: Db, fromDay: string): Promise<EventsDay[]> {
  const { rows } = await sql<{ day: string; events: string; page_views: string; sessions: string }>`
    select to_char(day, 'YYYY-MM-DD') as day, sum(events)::bigint as events, sum(page_views)::bigint as page_views, count(*)::bigint as sessions
    from business.sessions where day >= ${fromDay}::date group by day order by day`.execute(db);
  return rows.map((r) => ({ day: r.day, events: Number(r.events), page_views: Number(r.page_views), sessions: Number(r.sessions) }));
}
