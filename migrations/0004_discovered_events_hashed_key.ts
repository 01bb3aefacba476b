import { sql, type Kysely } from 'kysely';

/**
 * The natural key of discovered_events held as md5 of its text parts: a btree
 * row holds at most ~2.7 kB, so a unique index on the raw name and venue
 * failed the whole batch on one long value ("index row requires 12048
 * bytes"). md5 is 32 characters whatever the input, on Postgres and PGlite
 * alike; rows stay unique on the same key, so reruns stay duplicate-free.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create unique index discovered_events_natural_key
      on discovered_events (center_id, event_date, md5(name_key), md5(venue_key))`.execute(db);
  // The old constraint's name, as Postgres named it in 0003.
  await sql`alter table discovered_events drop constraint discovered_events_center_id_name_key_event_date_venue_key_key`.execute(db);
}
