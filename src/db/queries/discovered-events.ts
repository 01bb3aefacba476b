/** Events found by batch discovery, stored under a natural key so reruns add no duplicates. */
import { sql, type Transaction } from 'kysely';
import type { Database, DiscoveredEventsTable } from '../schema.js';
import { inChunks } from './chunks.js';

/** One event as the task hands it over: the table's descriptive columns, and its date. */
export type EventRow = Pick<DiscoveredEventsTable, 'name' | 'start_time' | 'end_time' | 'venue' | 'address' | 'city' | 'url' | 'category' | 'description'> & {
  date: string;
};

/** "The Jazz  Night!" and "the jazz night" are one event. */
export function normaliseKey(value: string | null): string {
  return (value ?? '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * The unique index of the natural key (migration 0004): md5 of the text
 * parts, so that a key of any length fits a btree row. ON CONFLICT names the
 * same expressions, which lets Postgres infer that index.
 */
const NATURAL_KEY = sql`center_id, event_date, md5(name_key), md5(venue_key)`;

/**
 * Inserts new events and refreshes known ones, in the caller's transaction,
 * in statements of bounded size. Returns how many were new. Duplicates inside
 * one answer are merged first (one statement may not touch the same key twice).
 */
export async function upsertEvents(trx: Transaction<Database>, centerId: string, runId: string, events: EventRow[], seenAt: Date): Promise<number> {
  const byKey = new Map<string, EventRow & { name_key: string; venue_key: string }>();
  for (const e of events) {
    const row = { ...e, name_key: normaliseKey(e.name), venue_key: normaliseKey(e.venue) };
    byKey.set(`${row.name_key}|${e.date}|${row.venue_key}`, row);
  }
  if (byKey.size === 0) return 0;
  let inserted = 0;
  for (const rows of inChunks([...byKey.values()])) {
    const result = await trx
      .insertInto('discovered_events')
      .values(
        rows.map((e) => ({
          center_id: centerId,
          name_key: e.name_key,
          event_date: e.date,
          venue_key: e.venue_key,
          name: e.name,
          start_time: e.start_time,
          end_time: e.end_time,
          venue: e.venue,
          address: e.address,
          city: e.city,
          url: e.url,
          category: e.category,
          description: e.description,
          first_run_id: runId,
          last_run_id: runId,
          first_seen_at: seenAt,
          last_seen_at: seenAt,
        })),
      )
      .onConflict((oc) =>
        oc.expression(NATURAL_KEY).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          start_time: eb.ref('excluded.start_time'),
          end_time: eb.ref('excluded.end_time'),
          address: eb.ref('excluded.address'),
          city: eb.ref('excluded.city'),
          url: eb.ref('excluded.url'),
          category: eb.ref('excluded.category'),
          description: eb.ref('excluded.description'),
          last_run_id: eb.ref('excluded.last_run_id'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
        })),
      )
      // xmax = 0 only on a freshly inserted row.
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .execute();
    inserted += result.filter((r) => r.inserted).length;
  }
  return inserted;
}
