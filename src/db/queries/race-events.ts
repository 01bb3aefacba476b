/**
 * Every statement on races and race_events: discovery's upserts, the sync
 * schedule's candidates, row leases that let several processes share the due
 * events, and the bookmark that advances only with the rows it covers.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RaceRow {
  raceId: number;
  name: string;
  timezone: string;
  nextDate: string | null;
  nextEndDate: string | null;
  lastModified: Date | null;
  address: Record<string, unknown> | null;
}

export interface RaceEventRow {
  eventId: number;
  name: string;
  startTime: Date | null;
  endTime: Date | null;
  eventType: string | null;
  distance: string | null;
}

/** A race_events row as the sync reads it. */
export interface EventState {
  event_id: number;
  race_id: number;
  partner_id: number;
  partner_name: string;
  name: string;
  start_time: Date | null;
  timezone: string;
  backfill_status: 'pending' | 'running' | 'complete';
  backfill_next_page: number;
  backfill_started_at: Date | null;
  bookmark: Date | null;
  last_synced_at: Date | null;
  participants: number;
  removed: number;
  lease_owner: string | null;
  lease_until: Date | null;
}

/** A race keeps the partner that found it first; its details follow the provider. */
export async function upsertRace(db: Db, partnerId: number, race: RaceRow, at: Date): Promise<void> {
  await sql`
    insert into races (race_id, partner_id, name, timezone, next_date, next_end_date, last_modified, address, first_seen_at, updated_at)
    values (${race.raceId}, ${partnerId}, ${race.name}, ${race.timezone}, ${race.nextDate}, ${race.nextEndDate}, ${race.lastModified},
            ${race.address ? JSON.stringify(race.address) : null}::jsonb, ${at}, ${at})
    on conflict (race_id) do update set
      name = excluded.name, timezone = excluded.timezone, next_date = excluded.next_date, next_end_date = excluded.next_end_date,
      last_modified = excluded.last_modified, address = excluded.address, updated_at = excluded.updated_at`.execute(db);
}

export type EventUpsert = 'new' | 'changed' | 'unchanged' | 'other-partner';

/**
 * Inserts an event, or applies changes to its name, times and details. An
 * event another partner already owns is left alone ('other-partner').
 */
export async function upsertRaceEvent(db: Db, partnerId: number, raceId: number, timezone: string, event: RaceEventRow, at: Date): Promise<EventUpsert> {
  const { rows } = await sql<{ existed: boolean; owner: number; changed: boolean }>`
    with previous as (
      select partner_id, name, start_time, end_time, timezone, event_type, distance from race_events where event_id = ${event.eventId}
    ),
    upserted as (
      insert into race_events (event_id, race_id, partner_id, name, start_time, end_time, timezone, event_type, distance, first_seen_at, updated_at)
      values (${event.eventId}, ${raceId}, ${partnerId}, ${event.name}, ${event.startTime}, ${event.endTime}, ${timezone},
              ${event.eventType}, ${event.distance}, ${at}, ${at})
      on conflict (event_id) do update set
        name = excluded.name, start_time = excluded.start_time, end_time = excluded.end_time, timezone = excluded.timezone,
        event_type = excluded.event_type, distance = excluded.distance, updated_at = excluded.updated_at
      where race_events.partner_id = excluded.partner_id
        and (race_events.name, race_events.start_time, race_events.end_time, race_events.timezone, race_events.event_type, race_events.distance)
            is distinct from (excluded.name, excluded.start_time, excluded.end_time, excluded.timezone, excluded.event_type, excluded.distance)
      returning 1
    )
    select exists (select 1 from previous) as existed, coalesce((select partner_id from previous), ${partnerId}) as owner,
           exists (select 1 from upserted) as changed`.execute(db);
  const row = rows[0];
  if (!row?.existed) return 'new';
  if (Number(row.owner) !== partnerId) return 'other-partner';
  return row.changed ? 'changed' : 'unchanged';
}

const STATE_COLUMNS = sql`
  e.event_id::float8 as event_id, e.race_id::float8 as race_id, e.partner_id, p.name as partner_name, e.name, e.start_time, e.timezone,
  e.backfill_status, e.backfill_next_page, e.backfill_started_at, e.bookmark, e.last_synced_at, e.participants, e.removed,
  e.lease_owner, e.lease_until`;

/** Events of enabled partners whose backfill has not completed, oldest first. */
export async function eventsAwaitingBackfill(db: Db, partnerId?: number): Promise<EventState[]> {
  const { rows } = await sql<EventState>`
    select ${STATE_COLUMNS} from race_events e join partners p on p.id = e.partner_id
    where p.enabled and e.backfill_status <> 'complete' ${partnerId === undefined ? sql`` : sql`and e.partner_id = ${partnerId}`}
    order by e.start_time asc nulls last, e.event_id`.execute(db);
  return rows;
}

/** Every event of an enabled partner still inside the sync window (start at or after `startsAfter`). */
export async function syncCandidates(db: Db, startsAfter: Date): Promise<EventState[]> {
  const { rows } = await sql<EventState>`
    select ${STATE_COLUMNS} from race_events e join partners p on p.id = e.partner_id
    where p.enabled and e.start_time is not null and e.start_time >= ${startsAfter}
    order by e.start_time, e.event_id`.execute(db);
  return rows;
}

/** Every event of an enabled partner starting between `from` and `to` (reconcile-event's items). */
export async function eventsStartingBetween(db: Db, from: Date, to: Date): Promise<EventState[]> {
  const { rows } = await sql<EventState>`
    select ${STATE_COLUMNS} from race_events e join partners p on p.id = e.partner_id
    where p.enabled and e.start_time is not null and e.start_time >= ${from} and e.start_time <= ${to}
    order by e.start_time, e.event_id`.execute(db);
  return rows;
}

export async function findEventState(db: Db, eventId: number): Promise<EventState | undefined> {
  const { rows } = await sql<EventState>`
    select ${STATE_COLUMNS} from race_events e join partners p on p.id = e.partner_id where e.event_id = ${eventId}`.execute(db);
  return rows[0];
}

/**
 * Takes the event's lease for `owner` until `until`, unless a live lease of
 * another owner holds it (SKIP LOCKED: a row being claimed elsewhere is
 * skipped, not waited for) or, with `dueBefore`, a sync completed since the
 * plan was made. Returns the row when the lease is ours.
 */
export async function claimEvent(db: Db, eventId: number, owner: string, now: Date, until: Date, dueBefore?: Date | null): Promise<EventState | undefined> {
  const { rows } = await sql<{ event_id: string }>`
    update race_events set lease_owner = ${owner}, lease_until = ${until}
    where event_id = (
      select event_id from race_events
      where event_id = ${eventId}
        and (lease_until is null or lease_until <= ${now} or lease_owner = ${owner})
        ${dueBefore ? sql`and (last_synced_at is null or last_synced_at <= ${dueBefore})` : sql``}
      for update skip locked)
    returning event_id`.execute(db);
  return rows.length > 0 ? findEventState(db, eventId) : undefined;
}

/** Extends our lease; false when it is no longer ours (it expired and another process took it). */
export async function renewLease(db: Db, eventId: number, owner: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('race_events')
    .set({ lease_until: until })
    .where('event_id', '=', eventId)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLease(db: Db, eventId: number, owner: string): Promise<void> {
  await db.updateTable('race_events').set({ lease_owner: null, lease_until: null }).where('event_id', '=', eventId).where('lease_owner', '=', owner).execute();
}

/** A backfill begins (or resumes: its first start is kept, the bookmark will hang on it). */
export async function beginBackfill(db: Db, eventId: number, at: Date): Promise<{ startedAt: Date; nextPage: number }> {
  const row = await db
    .updateTable('race_events')
    .set({ backfill_status: 'running', backfill_started_at: sql`coalesce(backfill_started_at, ${at}::timestamptz)` as any })
    .where('event_id', '=', eventId)
    .returning(['backfill_started_at', 'backfill_next_page'])
    .executeTakeFirstOrThrow();
  return { startedAt: new Date(row.backfill_started_at as Date), nextPage: row.backfill_next_page };
}

/** The page after `page` is where a resumed backfill starts; written with the page's rows. */
export async function recordBackfillPage(db: Db, eventId: number, page: number): Promise<void> {
  await db
    .updateTable('race_events')
    .set({ backfill_next_page: page + 1 })
    .where('event_id', '=', eventId)
    .execute();
}

/**
 * A full pass is done: the event is known, and the bookmark (the pass's start
 * minus the overlap) hangs on it. Written with the pass's last rows.
 */
export async function completeBackfill(db: Db, eventId: number, startedAt: Date, bookmark: Date, at: Date): Promise<void> {
  await db
    .updateTable('race_events')
    .set({
      backfill_status: 'complete',
      backfill_completed_at: at,
      backfill_next_page: 1,
      backfill_started_at: null,
      bookmark,
      last_synced_at: startedAt,
    })
    .where('event_id', '=', eventId)
    .execute();
}

/** A new full pass from page 1 (sync-event --full). */
export async function restartBackfill(db: Db, eventId: number): Promise<void> {
  await db
    .updateTable('race_events')
    .set({ backfill_status: 'running', backfill_next_page: 1, backfill_started_at: null })
    .where('event_id', '=', eventId)
    .execute();
}

/** An incremental sync is done: written in the transaction of its last rows. */
export async function advanceBookmark(db: Db, eventId: number, syncStartedAt: Date, bookmark: Date): Promise<void> {
  await db.updateTable('race_events').set({ bookmark, last_synced_at: syncStartedAt }).where('event_id', '=', eventId).execute();
}

export async function storeParticipantCounts(db: Db, eventId: number, counts: { current: number; removed: number }): Promise<void> {
  await db.updateTable('race_events').set({ participants: counts.current, removed: counts.removed }).where('event_id', '=', eventId).execute();
}
