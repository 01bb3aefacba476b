/**
 * What every page of an event sync shares: the transaction that renews the
 * event's lease with the page's writes, and how a page's rejected rows become
 * failed items.
 */
import type { Transaction } from 'kysely';
import { OpsError, throwIfAborted } from '../../core/errors.js';
import { setAsyncCommit } from '../../db/commit.js';
import { renewLease, type EventState } from '../../db/queries/race-events.js';
import type { Database } from '../../db/schema.js';
import type { Rejected } from '../../integrations/runsignup.js';
import type { EventSyncDeps, EventSyncOutcome } from './event-sync.js';

/** Another process took the event over after our lease ran out: stop, its rows are its own now. */
export class LeaseLost extends OpsError {}

export function eventLabel(event: EventState): string {
  return `event ${event.event_id} (${event.name})`;
}

export function reportRejected(deps: EventSyncDeps, event: EventState, rejected: Rejected[], outcome: EventSyncOutcome): void {
  for (const r of rejected) deps.failItem(`${eventLabel(event)} ${r.item}`, r.reason);
  outcome.rejected += rejected.length;
}

/**
 * One page's writes, its progress and our lease, all in one transaction.
 * asyncCommit: the commit does not wait for the WAL flush (see backfill.ts for
 * when losing the transaction to a server crash is safe).
 */
export async function inPageTransaction(
  deps: EventSyncDeps,
  eventId: number,
  work: (tx: Transaction<Database>) => Promise<void>,
  options: { asyncCommit?: boolean } = {},
): Promise<void> {
  throwIfAborted(deps.signal);
  await deps.db.transaction().execute(async (tx) => {
    if (options.asyncCommit) await setAsyncCommit(tx);
    const leaseUntil = new Date(deps.now().getTime() + deps.config.leaseSeconds * 1000);
    if (!(await renewLease(tx, eventId, deps.owner, leaseUntil))) {
      throw new LeaseLost(`event ${eventId}: the lease ran out and another process took the event over; stopped`);
    }
    await work(tx);
  });
}
