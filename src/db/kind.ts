/**
 * Which database a Kysely instance runs on, as the handle that opened it says
 * (open.ts marks it once): a question answered without borrowing a
 * connection. Kept by the instance's dialect adapter, which Kysely shares with
 * every transaction, connection and plugin copy made from that instance.
 */
import type { Kysely } from 'kysely';

export type DatabaseKind = 'postgres' | 'embedded';

const kinds = new WeakMap<object, DatabaseKind>();

export function markDatabaseKind(db: Kysely<any>, kind: DatabaseKind): void {
  kinds.set(db.getExecutor().adapter, kind);
}

/** The kind of db (or of the instance a transaction of it came from); undefined for one open.ts did not mark. */
export function databaseKind(db: Kysely<any>): DatabaseKind | undefined {
  return kinds.get(db.getExecutor().adapter);
}
