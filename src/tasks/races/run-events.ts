/**
 * Claims and syncs a list of events for a run, partner by partner: each
 * partner's credentials and budget in a PartnerSession, at most two events of
 * a partner at once, every partner concurrently. Shared by discover-events
 * (backfills of new events) and sync-event (the due events).
 */
import { errorMessage } from '../../core/errors.js';
import { listPartners, type PartnerRow } from '../../db/queries/partners.js';
import { claimEvent, releaseLease, type EventState } from '../../db/queries/race-events.js';
import { PartnerSession } from './partner-session.js';
import { syncEvent, type EventSyncDeps, type EventSyncOutcome } from './event-sync.js';

export interface EventJob {
  event: EventState;
  /** Claim only if no sync completed since this value was read (the plan's view). */
  lastSyncedAt?: Date | null;
  full?: boolean;
}

export interface EventRunTotals {
  synced: number;
  backfilled: number;
  deferred: number;
  /** Held by another process, or synced by one since the plan: left to it. */
  skipped: number;
  failed: number;
  participants_upserted: number;
  participants_removed: number;
  records_rejected: number;
  api_calls: number;
  pages: number;
}

export function emptyTotals(): EventRunTotals {
  return {
    synced: 0,
    backfilled: 0,
    deferred: 0,
    skipped: 0,
    failed: 0,
    participants_upserted: 0,
    participants_removed: 0,
    records_rejected: 0,
    api_calls: 0,
    pages: 0,
  };
}

export function addOutcome(totals: EventRunTotals, o: EventSyncOutcome): void {
  if (o.status === 'completed') totals[o.kind === 'full_sync' ? 'backfilled' : 'synced'] += 1;
  else if (o.status === 'deferred') totals.deferred += 1;
  else if (o.status === 'failed') totals.failed += 1;
  totals.participants_upserted += o.upserted;
  totals.participants_removed += o.removed;
  totals.records_rejected += o.rejected;
  totals.api_calls += o.calls;
  totals.pages += o.pages;
}

export interface SessionDeps extends EventSyncDeps {
  env: NodeJS.ProcessEnv;
  onEventDone?: (outcome: EventSyncOutcome | undefined) => void;
}

/** A session per enabled partner; a partner that cannot be served is a failed item, named with the reason. */
export async function openSessions(deps: SessionDeps, partners?: PartnerRow[]): Promise<Map<number, PartnerSession>> {
  const sessions = new Map<number, PartnerSession>();
  for (const partner of partners ?? (await listPartners(deps.db, { enabledOnly: true }))) {
    const session = PartnerSession.open(partner, deps.env, { db: deps.db, config: deps.config, now: deps.now, log: deps.log });
    if (typeof session === 'string') deps.failItem(`partner ${partner.name}`, session);
    else sessions.set(partner.id, session);
  }
  return sessions;
}

/** Claims each job's event (skipping what another process holds) and syncs it; returns the totals. */
export async function runEventJobs(deps: SessionDeps, sessions: Map<number, PartnerSession>, jobs: EventJob[]): Promise<EventRunTotals> {
  const totals = emptyTotals();
  const deferredPartners = new Set<string>();
  const runOne = async (job: EventJob, session: PartnerSession): Promise<void> => {
    const { event } = job;
    if (deps.signal.aborted) return;
    if (session.exhausted) {
      totals.deferred += 1;
      deferredPartners.add(session.exhausted.message);
      return deps.onEventDone?.(undefined);
    }
    const now = deps.now();
    const until = new Date(now.getTime() + deps.config.leaseSeconds * 1000);
    const claimed = await claimEvent(deps.db, event.event_id, deps.owner, now, until, job.lastSyncedAt ?? undefined);
    if (!claimed) {
      totals.skipped += 1;
      return deps.onEventDone?.(undefined);
    }
    try {
      const api = session.client();
      const outcome = await syncEvent(deps, api, claimed, { full: job.full, reserve: (calls) => session.reserve(api, calls) });
      addOutcome(totals, outcome);
      if (outcome.status === 'deferred') deferredPartners.add(outcome.error ?? '');
      deps.onEventDone?.(outcome);
    } finally {
      await releaseLease(deps.db, event.event_id, deps.owner).catch((err) =>
        deps.log.warn('could not release a lease', { event_id: event.event_id, reason: errorMessage(err) }),
      );
    }
  };
  // An event's own failures are outcomes; anything thrown here (the database, an interruption) ends the run.
  let fatal: unknown;
  await Promise.all(
    jobs.map((job) => {
      const session = sessions.get(job.event.partner_id);
      if (!session) return Promise.resolve();
      return session.limit(async () => {
        if (fatal) return;
        await runOne(job, session).catch((err) => {
          fatal ??= err;
        });
      });
    }),
  );
  if (fatal) throw fatal;
  for (const reason of deferredPartners) deps.log.warn('deferred: budget spent', { reason });
  return totals;
}
