/**
 * A full backfill of one event, page by page, resumable. Each page is fetched,
 * validated and merged into participants in one transaction with its
 * progress (the next page to fetch) before the next page is asked for, so a
 * kill loses only the page in flight: a resumed backfill fetches from the
 * page after the last one merged. The last page's merge completes the
 * backfill (the event is known from then on).
 *
 * Why not fetch the next page while one is merged: a page must be kept
 * somewhere before the next request goes out (else a kill loses two), and
 * keeping it costs more than the merge it would hide. The earlier hand-over
 * table (backfill_pages, dropped by migration 0015) sent every page to
 * Postgres twice; on this 2-core machine, shared with the simulator and
 * Postgres, a page merged at once used 40 % less Postgres CPU and 15 % less
 * of ours, and a million rows went 24 % faster (scripts/bench/backfill.mjs,
 * README).
 *
 * On Postgres, page transactions commit without waiting for the WAL flush
 * (synchronous_commit off; the embedded database dies with the process, so
 * there they wait, see commitsMayDeferFlush): a server crash may lose the
 * last ones, but never part of one, nor a later one without it (the WAL
 * replays in order). A lost merge takes its rows and its recorded next page
 * with it: the resumed backfill fetches again from the last page that
 * survived, as after a kill. What the run records at its end (sync_history,
 * task_logs) commits synchronously, which flushes every page before it: a
 * run recorded as complete has all its pages on disk.
 */
import { markNotListed, mergePreparedPage, participantCounts, preparePage } from '../../db/queries/participants.js';
import { beginBackfill, completeBackfill, recordBackfillPage, restartBackfill, storeParticipantCounts, type EventState } from '../../db/queries/race-events.js';
import { addSyncCounts } from '../../db/queries/sync-history.js';
import type { RunSignUpApi } from '../../integrations/runsignup.js';
import type { EventSyncDeps, EventSyncOutcome } from './event-sync.js';
import { inPageTransaction, reportRejected } from './page-transaction.js';

const PAGE_TRANSACTION = { asyncCommit: true };

export async function backfill(
  deps: EventSyncDeps,
  api: RunSignUpApi,
  event: EventState,
  outcome: EventSyncOutcome,
  historyId: number,
  restart: boolean,
): Promise<Date> {
  const eventId = event.event_id;
  if (restart) await restartBackfill(deps.db, eventId);
  const { startedAt, nextPage } = await beginBackfill(deps.db, eventId, deps.now());
  const bookmark = new Date(startedAt.getTime() - deps.config.overlapSeconds * 1000);
  if (nextPage > 1) deps.log.info('resuming a backfill', { event_id: eventId, page: nextPage });

  for await (const page of api.participantPages(event.race_id, eventId, { startPage: nextPage, perPage: deps.config.pageSize }, deps.signal)) {
    reportRejected(deps, event, page.rejected, outcome);
    const [pageNo, rejected, last] = [page.page, page.rejected.length, page.last];
    const prepared = await preparePage(deps.db, eventId, event.race_id, page.participants, startedAt);
    await inPageTransaction(
      deps,
      eventId,
      async (tx) => {
        const written = await mergePreparedPage(tx, eventId, event.race_id, prepared, startedAt);
        outcome.upserted += written;
        outcome.pages += 1;
        await addSyncCounts(tx, historyId, { upserted: written, failed: rejected, pages: 1 });
        await recordBackfillPage(tx, eventId, pageNo);
        deps.log.debug('backfill page stored', { event_id: eventId, page: pageNo, rows: written });
        if (last) {
          // A full pass: what was stored before it began and is no longer listed is marked, not deleted.
          if (restart) outcome.removed += await markNotListed(tx, eventId, startedAt, deps.now());
          await completeBackfill(tx, eventId, startedAt, bookmark, deps.now());
          await storeParticipantCounts(tx, eventId, await participantCounts(tx, eventId));
        }
      },
      PAGE_TRANSACTION,
    );
  }
  return bookmark;
}
