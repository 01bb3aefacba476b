/**
 * Syncing one event whose lease this process holds: a full backfill (every
 * participant, page by page, resumable where it stopped) or an incremental
 * sync (participants and removals modified since the bookmark). Each page is
 * one transaction with its progress; the bookmark advances only in the
 * transaction of the sync's last rows, so no change is ever skipped.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { errorMessage, InterruptedError, isAbortError, UpstreamError, ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { markRemoved, participantCounts, upsertParticipants } from '../../db/queries/participants.js';
import { advanceBookmark, storeParticipantCounts, type EventState } from '../../db/queries/race-events.js';
import { addSyncCounts, finishSyncHistory, startSyncHistory, type SyncKind } from '../../db/queries/sync-history.js';
import type { Database } from '../../db/schema.js';
import type { ParticipantPage, RunSignUpApi } from '../../integrations/runsignup.js';
import { backfill } from './backfill.js';
import { eventLabel, inPageTransaction, LeaseLost, reportRejected } from './page-transaction.js';
import { BudgetExhaustedError } from './partner-session.js';
import type { ProviderConfig } from './settings.js';

export interface EventSyncDeps {
  db: Kysely<Database>;
  config: ProviderConfig;
  runId: string;
  /** The lease owner: this run. */
  owner: string;
  now: Clock;
  signal: AbortSignal;
  log: Logger;
  failItem(item: string, reason: string): void;
}

export interface EventSyncOutcome {
  eventId: number;
  kind: SyncKind;
  status: 'completed' | 'deferred' | 'failed' | 'interrupted';
  upserted: number;
  removed: number;
  rejected: number;
  calls: number;
  pages: number;
  error?: string;
}

export interface SyncOptions {
  full?: boolean;
  /** Takes the calls the sync cannot do without from the budget before its first call (PartnerSession.reserve). */
  reserve?: (calls: number) => Promise<void>;
}

export async function syncEvent(deps: EventSyncDeps, api: RunSignUpApi, event: EventState, options: SyncOptions = {}): Promise<EventSyncOutcome> {
  const kind: SyncKind = options.full || event.backfill_status !== 'complete' ? 'full_sync' : 'incremental';
  const outcome: EventSyncOutcome = { eventId: event.event_id, kind, status: 'completed', upserted: 0, removed: 0, rejected: 0, calls: 0, pages: 0 };
  const startedAt = deps.now();
  const historyId = await startSyncHistory(deps.db, {
    eventId: event.event_id,
    partnerId: event.partner_id,
    kind,
    runId: deps.runId,
    startedAt,
    bookmarkBefore: event.bookmark,
  });
  let bookmarkAfter: Date | null = null;
  try {
    // An incremental sync always asks twice (participants, removals); a backfill at least once.
    await options.reserve?.(kind === 'incremental' ? 2 : 1);
    if (kind === 'full_sync') bookmarkAfter = await backfill(deps, api, event, outcome, historyId, Boolean(options.full));
    else bookmarkAfter = await incremental(deps, api, event, outcome, historyId, startedAt);
  } catch (err) {
    outcome.error = errorMessage(err);
    if (err instanceof BudgetExhaustedError) outcome.status = 'deferred';
    else if (deps.signal.aborted || isAbortError(err) || err instanceof InterruptedError) outcome.status = 'interrupted';
    else if (err instanceof UpstreamError || err instanceof ValidationError || err instanceof LeaseLost) outcome.status = 'failed';
    else {
      // Not the event's fault (the database refusing writes, a bug): the run fails, and says so.
      await finishSyncHistory(deps.db, historyId, { status: 'failed', finishedAt: deps.now(), error: outcome.error, apiCalls: api.calls }).catch(() => {});
      throw err;
    }
  }
  outcome.calls = api.calls;
  await finishSyncHistory(deps.db, historyId, {
    status: outcome.status,
    finishedAt: deps.now(),
    bookmarkAfter,
    error: outcome.error,
    apiCalls: outcome.calls,
  });
  if (outcome.status === 'failed') deps.failItem(eventLabel(event), outcome.error ?? 'failed');
  if (outcome.status === 'interrupted') throw new InterruptedError();
  return outcome;
}

const toUnixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** A page of participants written, counted on the run and on its sync_history row (inside the page's transaction). */
async function storeParticipantPage(
  tx: Transaction<Database>,
  event: EventState,
  page: ParticipantPage,
  syncedAt: Date,
  outcome: EventSyncOutcome,
  historyId: number,
): Promise<void> {
  const written = await upsertParticipants(tx, event.event_id, event.race_id, page.participants, syncedAt);
  outcome.upserted += written;
  outcome.pages += 1;
  await addSyncCounts(tx, historyId, { upserted: written, failed: page.rejected.length, pages: 1 });
}

async function incremental(
  deps: EventSyncDeps,
  api: RunSignUpApi,
  event: EventState,
  outcome: EventSyncOutcome,
  historyId: number,
  startedAt: Date,
): Promise<Date> {
  const eventId = event.event_id;
  const since = event.bookmark ?? new Date(0);
  const modifiedAfter = toUnixSeconds(new Date(since));
  const bookmark = new Date(startedAt.getTime() - deps.config.overlapSeconds * 1000);
  for await (const page of api.participantPages(event.race_id, eventId, { modifiedAfter, perPage: deps.config.pageSize }, deps.signal)) {
    reportRejected(deps, event, page.rejected, outcome);
    await inPageTransaction(deps, eventId, (tx) => storeParticipantPage(tx, event, page, startedAt, outcome, historyId));
  }
  // Removals after the participants: a registration removed during the sync ends removed.
  for await (const page of api.removedPages(event.race_id, eventId, { modifiedAfter, perPage: deps.config.pageSize }, deps.signal)) {
    reportRejected(deps, event, page.rejected, outcome);
    await inPageTransaction(deps, eventId, async (tx) => {
      const marked = await markRemoved(tx, eventId, event.race_id, page.removed, deps.now());
      outcome.removed += marked;
      outcome.pages += 1;
      await addSyncCounts(tx, historyId, { removed: marked, failed: page.rejected.length, pages: 1 });
      if (page.last) {
        await advanceBookmark(tx, eventId, startedAt, bookmark);
        await storeParticipantCounts(tx, eventId, await participantCounts(tx, eventId));
      }
    });
  }
  return bookmark;
}
