/**
 * Write keys: made here, stored as their SHA-256 (a key is 24 random bytes, so
 * a fast hash is enough and a lookup is one index probe), found by hash with a
 * short cache so that the hot path does not ask the database per request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findIngestTokenByHash } from '../db/queries/ingest-tokens.js';
import type { Database } from '../db/schema.js';

export const KEY_PREFIX_CHARS = 10;
/** The shape of every key newWriteKey makes (24 random bytes → 32 base64url characters): anything else is unknown without a lookup. */
const KEY_SHAPE = /^ops_wk_[A-Za-z0-9_-]{32}$/;

export function newWriteKey(): { key: string; hash: string; prefix: string } {
  const key = `ops_wk_${randomBytes(24).toString('base64url')}`;
  return { key, hash: hashWriteKey(key), prefix: key.slice(0, KEY_PREFIX_CHARS) };
}

export function hashWriteKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface WriteKeyOwner {
  tokenId: number;
  customerId: string;
}

/**
 * Resolves keys to their token; null for an unknown or revoked key (never
 * cached: a new token works at once). A string that cannot be a key is refused
 * without asking the database, so junk sent at the ingest costs no query.
 */
export class WriteKeys {
  private readonly cache = new Map<string, { owner: WriteKeyOwner; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cacheMs: number,
  ) {}

  async resolve(key: string): Promise<WriteKeyOwner | null> {
    if (!KEY_SHAPE.test(key)) return null;
    const hash = hashWriteKey(key);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.owner;
    const row = await findIngestTokenByHash(this.db, hash);
    if (!row || row.revoked_at) {
      this.cache.delete(hash);
      return null;
    }
    const owner = { tokenId: row.id, customerId: row.customer_id };
    if (this.cacheMs > 0) this.cache.set(hash, { owner, until: Date.now() + this.cacheMs });
    return owner;
  }
}
