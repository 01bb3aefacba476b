/** How a transaction commits. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { databaseKind } from './kind.js';

/**
 * Whether a commit on db may return before its WAL reaches disk: only on a
 * database server (Postgres), which outlives our process, so that a kill of
 * ops loses nothing it committed. The embedded database lives inside our
 * process and has no WAL writer flushing behind it: there a kill is a server
 * crash, and every such commit since the last flushed one would be lost.
 * Decided by the kind of the handle that opened db, with no connection
 * borrowed (a database not opened by open.ts waits for its flush).
 */
export function commitsMayDeferFlush(db: Kysely<any>): boolean {
  return databaseKind(db) === 'postgres';
}

/**
 * The transaction's commit returns without waiting for its WAL to reach disk
 * (synchronous_commit off, for this transaction only), on a database server
 * (commitsMayDeferFlush). A server crash may then lose it, whole, and any
 * later one, never an earlier one; a process crash loses nothing. For writes
 * that are redone when lost.
 */
export async function setAsyncCommit(tx: Transaction<any>): Promise<void> {
  if (commitsMayDeferFlush(tx)) await sql`set local synchronous_commit = off`.execute(tx);
}
