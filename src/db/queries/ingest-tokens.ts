/** Every statement on ingest_tokens: the write keys of `ops serve`, stored as hashes. */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface IngestTokenRow {
  id: number;
  customer_id: string;
  name: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

const LISTED = ['id', 'customer_id', 'name', 'key_prefix', 'created_at', 'revoked_at'] as const;

export async function insertIngestToken(
  db: Db,
  token: { customerId: string; name: string; keyHash: string; keyPrefix: string },
  at: Date,
): Promise<IngestTokenRow> {
  return (await db
    .insertInto('ingest_tokens')
    .values({ customer_id: token.customerId, name: token.name, key_hash: token.keyHash, key_prefix: token.keyPrefix, created_at: at })
    .returning(LISTED)
    .executeTakeFirstOrThrow()) as IngestTokenRow;
}

export async function listIngestTokens(db: Db): Promise<IngestTokenRow[]> {
  return (await db.selectFrom('ingest_tokens').select(LISTED).orderBy('id').execute()) as IngestTokenRow[];
}

/** The token a key hashes to, revoked or not (the caller tells them apart). */
export async function findIngestTokenByHash(db: Db, keyHash: string): Promise<IngestTokenRow | undefined> {
  return (await db.selectFrom('ingest_tokens').select(LISTED).where('key_hash', '=', keyHash).executeTakeFirst()) as IngestTokenRow | undefined;
}

/** Revokes a token; the number of rows changed (0: no such token, or revoked already). */
export async function revokeIngestToken(db: Db, id: number, at: Date): Promise<number> {
  const result = await db.updateTable('ingest_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function findIngestToken(db: Db, id: number): Promise<IngestTokenRow | undefined> {
  return (await db.selectFrom('ingest_tokens').select(LISTED).where('id', '=', id).executeTakeFirst()) as IngestTokenRow | undefined;
}
