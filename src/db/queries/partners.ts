/** Every statement on partners: who they are and where their secrets live (variable names, never values). */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface PartnerRow {
  id: number;
  name: string;
  provider: string;
  key_env: string;
  secret_env: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function addPartner(db: Db, partner: { name: string; provider: string; keyEnv: string; secretEnv: string }, at: Date): Promise<PartnerRow> {
  return (await db
    .insertInto('partners')
    .values({ name: partner.name, provider: partner.provider, key_env: partner.keyEnv, secret_env: partner.secretEnv, created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow()) as PartnerRow;
}

export async function findPartner(db: Db, name: string): Promise<PartnerRow | undefined> {
  return (await db.selectFrom('partners').selectAll().where('name', '=', name).executeTakeFirst()) as PartnerRow | undefined;
}

export async function listPartners(db: Db, options: { enabledOnly?: boolean } = {}): Promise<PartnerRow[]> {
  let query = db.selectFrom('partners').selectAll().orderBy('name');
  if (options.enabledOnly) query = query.where('enabled', '=', true);
  return (await query.execute()) as PartnerRow[];
}

/** Sets enabled; the number of rows changed (0: no such partner). */
export async function setPartnerEnabled(db: Db, name: string, enabled: boolean, at: Date): Promise<number> {
  const result = await db.updateTable('partners').set({ enabled, updated_at: at }).where('name', '=', name).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
