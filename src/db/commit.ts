/** How a transaction commits. */
import { sql, type Transaction } from 'kysely';

/**
 * The transaction's commit returns without waiting for its WAL to reach disk
 * (synchronous_commit off, for this transaction only). A server crash may then
 * lose it, whole, and any later one, never an earlier one; a process crash
 * loses nothing. For writes that are redone when lost.
 */
export async function setAsyncCommit(tx: Transaction<any>): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(tx);
}
