/**
 * staging → business. Facts are recomputed, never appended to: a batch of
 * dirty visitors gets its sessions deleted and rebuilt from staging (the
 * 30-minute rule over all its events), which marks the days those sessions
 * touch, before and after; a batch of dirty days then gets its daily facts
 * deleted and rebuilt. Each batch is one transaction. Bots are left out.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { NON_CONVERSION_TYPES, SESSION_GAP_MINUTES } from './tracking-rules.js';
import { markMarkedDaysDirty } from './tracking-dirty.js';
import { tuneTransaction } from './tracking-tuning.js';

type Db = Kysely<Database>;

const NON_CONVERSION = sql.raw(`array[${NON_CONVERSION_TYPES.map((t) => `'${t}'`).join(', ')}]::text[]`);

/** Adds the days the sessions of the chosen visitors touch (temp table chosen_visitors) to the temp table marked_days. */
async function markSessionDays(trx: Db): Promise<void> {
  await sql`
    insert into marked_days (customer_id, day)
    select s.customer_id, d::date from business.sessions s
    join chosen_visitors v on v.customer_id = s.customer_id and v.visitor_key = s.visitor_key
    cross join generate_series((s.session_start at time zone 'UTC')::date, (s.session_end at time zone 'UTC')::date, interval '1 day') d`.execute(trx);
}

/**
 * Batches of dirty rows are claimed with FOR UPDATE SKIP LOCKED, so that two
 * transactions (the run's two rebuild workers, or a replay beside a run) take
 * different visitors and days. The days a batch marks are inserted once, in
 * key order: two transactions then meet on a key in the same order, so one
 * waits for the other instead of both waiting for each other (a deadlock).
 */
async function claimVisitors(trx: Db, limit: number): Promise<number> {
  await sql`drop table if exists pg_temp.chosen_visitors, pg_temp.marked_days`.execute(trx);
  await sql`create temp table chosen_visitors (customer_id text, visitor_key text) on commit drop`.execute(trx);
  await sql`create temp table marked_days (customer_id text, day date) on commit drop`.execute(trx);
  const claimed = await sql`
    insert into chosen_visitors
    select customer_id, visitor_key from staging.dirty_visitors order by customer_id, visitor_key limit ${limit} for update skip locked`.execute(trx);
  return Number(claimed.numAffectedRows ?? 0);
}

/** Rebuilds the sessions of up to `limit` dirty visitors; returns how many visitors. */
export async function rebuildSessions(trx: Db, limit: number): Promise<number> {
  await tuneTransaction(trx);
  const chosen = await claimVisitors(trx, limit);
  if (chosen === 0) return 0;
  await sql`analyze chosen_visitors`.execute(trx);
  await markSessionDays(trx);
  await sql`delete from business.sessions s using chosen_visitors v where s.customer_id = v.customer_id and s.visitor_key = v.visitor_key`.execute(trx);
  await sql`
    insert into business.sessions (customer_id, visitor_key, session_start, session_end, day, events, page_views, landing_page, exit_page,
      bounce, converted, utm_source, utm_medium, utm_campaign)
    select customer_id, visitor_key, min(event_time), max(event_time), (min(event_time) at time zone 'UTC')::date, count(*)::int,
      (count(*) filter (where event_type = 'page_view'))::int,
      (array_agg(page_origin || page_path order by event_time, raw_id) filter (where event_type = 'page_view'))[1],
      (array_agg(page_origin || page_path order by event_time desc, raw_id desc) filter (where event_type = 'page_view'))[1],
      count(*) filter (where event_type = 'page_view') = 1 and count(*) = 1,
      bool_or(event_type <> all(${NON_CONVERSION})),
      (array_agg(utm_source order by event_time, raw_id) filter (where utm_source is not null))[1],
      (array_agg(utm_medium order by event_time, raw_id) filter (where utm_source is not null))[1],
      (array_agg(utm_campaign order by event_time, raw_id) filter (where utm_source is not null))[1]
    from (
      select e.*, sum(starts) over (partition by customer_id, visitor_key order by event_time, raw_id) as n
      from (
        -- collate "C": the sorts compare bytes (the same order and groups) instead of calling strcoll per comparison.
        select e.customer_id collate "C" as customer_id, e.visitor_key collate "C" as visitor_key, e.event_time, e.raw_id, e.event_type,
          e.page_origin, e.page_path, e.utm_source, e.utm_medium, e.utm_campaign,
          case when lag(e.event_time) over w is null or e.event_time - lag(e.event_time) over w > interval '${sql.raw(String(SESSION_GAP_MINUTES))} minutes'
            then 1 else 0 end as starts
        -- lateral … offset 0: each visitor's events through the hash index on visitor_key (a hash join would scan all of
        -- staging per batch); the customer is checked outside it, so that no plan ANDs in the primary key's customer range.
        from chosen_visitors v
        cross join lateral (select * from staging.events e where e.visitor_key = v.visitor_key offset 0) e
        where e.customer_id = v.customer_id and not e.is_bot
        window w as (partition by e.customer_id collate "C", e.visitor_key collate "C" order by e.event_time, e.raw_id)
      ) e
    ) numbered
    group by customer_id, visitor_key, n`.execute(trx);
  await markSessionDays(trx);
  await markMarkedDaysDirty(trx);
  await sql`delete from staging.dirty_visitors d using chosen_visitors v where d.customer_id = v.customer_id and d.visitor_key = v.visitor_key`.execute(trx);
  return chosen;
}

/** Rebuilds the daily facts of up to `limit` dirty (customer, day) pairs; returns how many. */
export async function rebuildDays(trx: Db, limit: number): Promise<number> {
  await tuneTransaction(trx);
  await sql`drop table if exists pg_temp.chosen_days`.execute(trx);
  await sql`create temp table chosen_days (customer_id text, day date, day_start timestamptz, day_end timestamptz) on commit drop`.execute(trx);
  const claimed = await sql`
    insert into chosen_days
    select customer_id, day, (day::timestamp at time zone 'UTC'), ((day + 1)::timestamp at time zone 'UTC')
    from staging.dirty_days order by customer_id, day limit ${limit} for update skip locked`.execute(trx);
  const chosen = Number(claimed.numAffectedRows ?? 0);
  if (chosen === 0) return 0;
  await sql`analyze chosen_days`.execute(trx);
  await sql`delete from business.daily_pages p using chosen_days d where p.customer_id = d.customer_id and p.day = d.day`.execute(trx);
  await sql`delete from business.daily_conversions c using chosen_days d where c.customer_id = d.customer_id and c.day = d.day`.execute(trx);
  // A page view belongs to the session of its visitor that spans its time.
  await sql`
    insert into business.daily_pages (customer_id, day, page, page_views, unique_sessions)
    select e.customer_id, d.day, e.page_origin || e.page_path, count(*)::int, count(distinct s.session_start)::int
    from chosen_days d
    join staging.events e on e.customer_id = d.customer_id and e.event_time >= d.day_start and e.event_time < d.day_end
    left join business.sessions s on s.customer_id = e.customer_id and s.visitor_key = e.visitor_key
      and e.event_time between s.session_start and s.session_end
    where e.event_type = 'page_view' and not e.is_bot
    group by e.customer_id, d.day, e.page_origin || e.page_path`.execute(trx);
  await sql`
    insert into business.daily_conversions (customer_id, day, event_type, conversions, value)
    select e.customer_id, d.day, e.event_type, count(*)::int, coalesce(sum(e.value), 0)
    from chosen_days d
    join staging.events e on e.customer_id = d.customer_id and e.event_time >= d.day_start and e.event_time < d.day_end
    where e.event_type <> all(${NON_CONVERSION}) and not e.is_bot
    group by e.customer_id, d.day, e.event_type`.execute(trx);
  await sql`delete from staging.dirty_days x using chosen_days d where x.customer_id = d.customer_id and x.day = d.day`.execute(trx);
  return chosen;
}

/** How many visitors and days wait for a rebuild (to share them between workers). */
export async function countDirty(db: Db): Promise<{ visitors: number; days: number }> {
  const { rows } = await sql<{ visitors: number; days: number }>`
    select (select count(*) from staging.dirty_visitors)::int as visitors, (select count(*) from staging.dirty_days)::int as days`.execute(db);
  return rows[0];
}
