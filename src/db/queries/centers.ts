/** Every statement on centers, one function each. */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface CenterRow {
  centerId: string;
  centerName: string;
  slug: string;
  zipCode: string | null;
  city: string | null;
  state: string | null;
  country: string;
  radius: number;
  ownerEmail: string | null;
  isActive: boolean;
  locationData: Record<string, unknown>;
}

export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A hash of everything the API said about the center: equal hash, nothing to update. */
export function centerHash(row: CenterRow): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(row)))
    .digest('hex');
}

/**
 * Inserts or updates one center by center_id and says which it was. The CTE
 * reads the previous hash in the same statement, so the answer is exact even
 * with concurrent writers; `updated_at` moves only when something changed.
 */
export async function upsertCenter(db: Db, row: CenterRow, seenAt: Date): Promise<UpsertOutcome> {
  const hash = centerHash(row);
  const result = await sql<{ previous_hash: string | null }>`
    with previous as (select content_hash from centers where center_id = ${row.centerId}),
    upserted as (
      insert into centers (center_id, center_name, slug, zip_code, city, state, country, radius, owner_email,
                           location_data, is_active, content_hash, created_at, updated_at, last_seen_at)
      values (${row.centerId}, ${row.centerName}, ${row.slug}, ${row.zipCode}, ${row.city}, ${row.state}, ${row.country},
              ${row.radius}, ${row.ownerEmail}, ${JSON.stringify(row.locationData)}::jsonb, ${row.isActive}, ${hash},
              ${seenAt}, ${seenAt}, ${seenAt})
      on conflict (center_id) do update set
        center_name = excluded.center_name, slug = excluded.slug, zip_code = excluded.zip_code, city = excluded.city,
        state = excluded.state, country = excluded.country, radius = excluded.radius, owner_email = excluded.owner_email,
        location_data = excluded.location_data, is_active = excluded.is_active, content_hash = excluded.content_hash,
        updated_at = case when centers.content_hash is distinct from excluded.content_hash
                          then excluded.updated_at else centers.updated_at end,
        last_seen_at = excluded.last_seen_at
      returning center_id
    )
    select (select content_hash from previous) as previous_hash from upserted`.execute(db);
  const previous = result.rows[0]?.previous_hash ?? null;
  if (previous === null) return 'inserted';
  return previous === hash ? 'unchanged' : 'updated';
}

/** Active centers whose slug the API no longer lists. */
export async function findMissingCenters(db: Db, listedSlugs: string[]) {
  return db
    .selectFrom('centers')
    .select(['center_id', 'slug', 'center_name', 'last_seen_at'])
    .where('is_active', '=', true)
    .where(sql<boolean>`not (slug = any(${sql.val(listedSlugs)}::text[]))`)
    .orderBy('slug')
    .execute();
}

export async function deactivateCenters(db: Db, centerIds: string[], at: Date): Promise<number> {
  if (centerIds.length === 0) return 0;
  const result = await db.updateTable('centers').set({ is_active: false, updated_at: at }).where('center_id', 'in', centerIds).executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0);
}

export async function countCenters(db: Db): Promise<{ total: number; active: number }> {
  const row = await db
    .selectFrom('centers')
    .select([sql<number>`count(*)::int`.as('total'), sql<number>`(count(*) filter (where is_active))::int`.as('active')])
    .executeTakeFirstOrThrow();
  return { total: row.total, active: row.active };
}

export interface CenterSelection {
  slugs?: string[];
  centerIds?: string[];
  limit?: number;
}

/** Active centers to run a batch for, in a stable order. */
export async function listActiveCenters(db: Db, selection: CenterSelection = {}) {
  let query = db
    .selectFrom('centers')
    .select(['center_id', 'center_name', 'slug', 'zip_code', 'city', 'state', 'country', 'radius'])
    .where('is_active', '=', true)
    .orderBy('slug')
    .orderBy('center_id');
  // An empty selection selects nothing (SQL has no empty IN list).
  if (selection.slugs?.length === 0 || selection.centerIds?.length === 0) return [];
  if (selection.slugs) query = query.where('slug', 'in', selection.slugs);
  if (selection.centerIds) query = query.where('center_id', 'in', selection.centerIds);
  if (selection.limit) query = query.limit(selection.limit);
  return query.execute();
}
