/**
 * A full backfill of one event, pipelined and resumable. Each fetched page is
 * first written as it came (backfill_pages: one row, quick), and only then is
 * the next page asked for; while it is on its way, the page before is merged
 * into participants. So the provider and the database work at the same time,
 * and still only the page in flight is lost to a kill: a resumed backfill
 * merges the pages it finds written and fetches from the page after them.
 * A page's merge is one transaction with its progress; the last page's merge
 * completes the backfill (the event is known from then on).
 */
import { forgetFetchedPages, fetchedPages, storeFetchedPage, takeFetchedPage } from '../../db/queries/backfill-pages.js';
import { markNotListed, mergeBackfillPage, participantCounts, participantPageJson } from '../../db/queries/participants.js';
import { beginBackfill, completeBackfill, recordBackfillPage, restartBackfill, storeParticipantCounts, type EventState } from '../../db/queries/race-events.js';
import { addSyncCounts } from '../../db/queries/sync-history.js';
import type { RunSignUpApi } from '../../integrations/runsignup.js';
import type { EventSyncDeps, EventSyncOutcome } from './event-sync.js';
import { inPageTransaction, reportRejected } from './page-transaction.js';

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

  const merge = (page: number) =>
    inPageTransaction(deps, eventId, async (tx) => {
      const written = await mergeBackfillPage(tx, eventId, event.race_id, page, startedAt);
      const fetched = await takeFetchedPage(tx, eventId, page);
      if (!fetched) throw new Error(`event ${eventId}: fetched page ${page} vanished before its merge`);
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
    });

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
      const [pageNo, rows] = [page.page, page.participants.length];
      // The page's objects are not used past this write: they die young rather than being kept through the waits below.
      await inPageTransaction(deps, eventId, (tx) =>
        storeFetchedPage(
          tx,
          eventId,
          { page: pageNo, rows: participantPageJson(page.participants), rejected: page.rejected.length, last: page.last },
          deps.now(),
        ),
      );
      deps.log.debug('backfill page fetched', { event_id: eventId, page: pageNo, rows });
      await merging;
      merging = merge(pageNo);
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
