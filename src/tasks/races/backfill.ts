/**
 * A full backfill of one event, pipelined and resumable. Each fetched page is
 * validated and first written as it will be merged (backfill_pages: one row,
 * quick), and only then is the next page asked for; while it is on its way,
 * the page before is merged into participants. So the provider and the
 * database work at the same time, and still only the page in flight is lost
 * to a kill: a resumed backfill merges the pages it finds written and fetches
 * from the page after them. A page's merge is one transaction with its
 * progress; the last page's merge completes the backfill (the event is known
 * from then on).
 *
 * Page transactions commit without waiting for the WAL flush (synchronous_commit
 * off): a server crash may lose the last ones, but never part of one, nor a
 * later one without it (the WAL replays in order). A lost merge takes its rows,
 * its page's removal from backfill_pages and its recorded next page with it,
 * and backfill_pages (unlogged) is empty after a crash anyway: the resumed
 * backfill fetches again from the last page that survived, as after a kill.
 * What the run records at its end (sync_history, task_logs) commits
 * synchronously, which flushes every page before it: a run recorded as
 * complete has all its pages on disk.
 */
import { fetchedPageRows, fetchedPages, forgetFetchedPages, storeFetchedPage, takeFetchedPage } from '../../db/queries/backfill-pages.js';
import { markNotListed, mergePreparedPage, participantCounts, type PreparedPage, preparePage } from '../../db/queries/participants.js';
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
  if (restart) {
    await forgetFetchedPages(deps.db, eventId);
    await restartBackfill(deps.db, eventId);
  }
  const { startedAt, nextPage } = await beginBackfill(deps.db, eventId, deps.now());
  const bookmark = new Date(startedAt.getTime() - deps.config.overlapSeconds * 1000);

  const merge = (page: number, prepared?: PreparedPage) =>
    inPageTransaction(
      deps,
      eventId,
      async (tx) => {
        const rows = prepared ?? (await fetchedPageRows(tx, eventId, page));
        const fetched = await takeFetchedPage(tx, eventId, page);
        if (!rows || !fetched) throw new Error(`event ${eventId}: fetched page ${page} vanished before its merge`);
        const written = await mergePreparedPage(tx, eventId, event.race_id, rows, startedAt);
        outcome.upserted += written;
        outcome.pages += 1;
        await addSyncCounts(tx, historyId, { upserted: written, failed: fetched.rejected, pages: 1 });
        await recordBackfillPage(tx, eventId, page);
        deps.log.debug('backfill page stored', { event_id: eventId, page, rows: written });
        if (fetched.last) {
          // A full pass: what was stored before it began and is no longer listed is marked, not deleted.
          if (restart) outcome.removed += await markNotListed(tx, eventId, startedAt, deps.now());
          await completeBackfill(tx, eventId, startedAt, bookmark, deps.now());
          await storeParticipantCounts(tx, eventId, await participantCounts(tx, eventId));
        }
      },
      PAGE_TRANSACTION,
    );

  // Pages an earlier run fetched but did not merge come first; they are contiguous from nextPage.
  const waiting = (await fetchedPages(deps.db, eventId)).filter((p) => p.page >= nextPage);
  for (const p of waiting) await merge(p.page);
  if (waiting.some((p) => p.last)) return bookmark;
  const startPage = waiting.length > 0 ? waiting[waiting.length - 1]!.page + 1 : nextPage;
  if (startPage > 1) deps.log.info('resuming a backfill', { event_id: eventId, page: startPage, merged_from_last_run: waiting.length });

  // At most one page merging while the next is fetched: memory stays one page deep.
  let merging: Promise<void> = Promise.resolve();
  try {
    for await (const page of api.participantPages(event.race_id, eventId, { startPage, perPage: deps.config.pageSize }, deps.signal)) {
      reportRejected(deps, event, page.rejected, outcome);
      const [pageNo, rows, rejected, last] = [page.page, page.participants.length, page.rejected.length, page.last];
      const prepared = await preparePage(deps.db, eventId, event.race_id, page.participants, startedAt);
      await inPageTransaction(
        deps,
        eventId,
        (tx) => storeFetchedPage(tx, eventId, { page: pageNo, format: prepared.format, rows: prepared.rows, rejected, last }, deps.now()),
        PAGE_TRANSACTION,
      );
      deps.log.debug('backfill page fetched', { event_id: eventId, page: pageNo, rows });
      await merging;
      merging = merge(pageNo, prepared);
      // Awaited before the next merge or below; until then its failure must not count as unhandled.
      merging.catch(() => {});
    }
  } catch (err) {
    await merging.catch(() => {});
    throw err;
  }
  await merging;
  return bookmark;
}
