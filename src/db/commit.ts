/** How a transaction commits. */
import { sql, type Kysely, type Transaction } from 'kysely';
import { canCopy } from './copy-stream.js';

/**
 * Whether a commit on db may return before its WAL reaches disk: only on a
 * database server (Postgres), which outlives our process, so that a kill of
 * ops loses nothing it committed. The embedded database lives inside our
 * process and has no WAL writer flushing behind it: there a kill is a server
 * crash, and every such commit since the last flushed one would be lost.
 * (The connections of the pg pool are the ones canCopy knows.)
 */
export function commitsMayDeferFlush(db: Kysely<any>): Promise<boolean> {
  return canCopy(db);
}

/**
 * The transaction's commit returns without waiting for its WAL to reach disk
 * (synchronous_commit off, for this transaction only), on a database server
 * (commitsMayDeferFlush). A server crash may then lose it, whole, and any
 * later one, never an earlier one; a process crash loses nothing. For writes
 * that are redone when lost.
 */
export async function setAsyncCommit(tx: Transaction<any>): Promise<void> {
  if (await commitsMayDeferFlush(tx)) await sql`set local synchronous_commit = off`.execute(tx);
}
