import { sql, type Kysely } from 'kysely';

/**
 * staging.events' indexes cost more than its rows when a backlog is staged:
 * each btree insert of a random key walks and dirties a leaf page, about
 * 2 µs a row per index on a 2-core machine. Two of them change:
 * - the time index becomes a BRIN on event_time: events arrive nearly in time
 *   order, so a day's rows sit in few block ranges, and the day rebuild
 *   (its only user, with --reprocess --since) reads those ranges;
 * - the visitor index becomes a hash index on visitor_key: the session
 *   rebuild only ever looks a visitor up by equality, sorts its events
 *   itself, and a hash insert costs less than a three-column btree insert.
 * staging.urls and staging.user_agents are no longer written: the pipeline
 * normalises URLs and recognises bots in the process (tasks/tracking/enrich).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index staging.staging_events_time`.execute(db);
  await sql`create index staging_events_time on staging.events using brin (event_time)`.execute(db);
  await sql`drop index staging.staging_events_visitor`.execute(db);
  await sql`create index staging_events_visitor on staging.events using hash (visitor_key)`.execute(db);
  await sql`drop table staging.urls`.execute(db);
  await sql`drop table staging.user_agents`.execute(db);
}
