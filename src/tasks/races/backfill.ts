/**
 * A full backfill of one event, pipelined and resumable. Each fetched page is
 * first written as the provider sent it (backfill_pages: one row, quick), and
 * only then is the next page asked for; while it is on its way, the page just
 * written is validated, made ready and merged into participants. So the
 * provider and this process work at the same time, and still only the page
 * in flight is lost to a kill: a resumed backfill merges the pages it finds
 * written and fetches from the page after them. A page's merge is one
 * transaction with its progress; the last page's merge completes the
 * backfill (the event is known from then on).
 *
 * On Postgres, page transactions commit without waiting for the WAL flush
 * (synchronous_commit off; the embedded database dies with the process, so
 * there they wait, see commitsMayDeferFlush): a server crash may lose the last ones, but never part of one, nor a
 * later one without it (the WAL replays in order). A lost merge takes its rows,
 * its page's removal from backfill_pages and its recorded next page with it,
 * and backfill_pages (unlogged) is empty after a crash anyway: the resumed
 * backfill fetches again from the last page that survived, as after a kill.
 * What the run records at its end (sync_history, task_logs) commits
 * synchronously, which flushes every page before it: a run recorded as
 * complete has all its pages on disk.
 */
import { setImmediate as ioTurn } from 'node:timers/promises';
import { fetchedPageBody, fetchedPages, forgetFetchedPages, storeFetchedPage, takeFetchedPage } from '../../db/queries/backfill-pages.js';
import { markNotListed, mergePreparedPage, participantCounts, preparePage } from '../../db/queries/participants.js';
import { beginBackfill, completeBackfill, recordBackfillPage, restartBackfill, storeParticipantCounts, type EventState } from '../../db/queries/race-events.js';
import { addSyncCounts } from '../../db/queries/sync-history.js';
import {
  type Participant,
  participantRowsOf,
  type ParticipantBody,
  type Rejected,
  readParticipantRows,
  type RunSignUpApi,
} from '../../integrations/runsignup.js';
import type { EventSyncDeps, EventSyncOutcome } from './event-sync.js';
import { inPageTransaction, reportRejected } from './page-transaction.js';

const PAGE_TRANSACTION = { asyncCommit: true };
/**
 * Rows validated between two turns of the event loop: a page's validation
 * runs while the next request is on its way, and must not hold up the few
 * round trips that send it (its budget and slot) for more than a moment.
 */
const ROWS_PER_TURN = 250;

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

  /** A written page's rows: validated (a bad row is a failed item), then merged with the page's progress. */
  const merge = async (page: number, rows: unknown[], last: boolean) => {
    const participants: Participant[] = [];
    const rejected: Rejected[] = [];
    for (let from = 0; from < rows.length; from += ROWS_PER_TURN) {
      await ioTurn();
      const read = readParticipantRows(rows, page, from, Math.min(rows.length, from + ROWS_PER_TURN));
      for (const p of read.participants) participants.push(p);
      for (const r of read.rejected) rejected.push(r);
    }
    reportRejected(deps, event, rejected, outcome);
    const prepared = await preparePage(deps.db, eventId, event.race_id, participants, startedAt);
    await inPageTransaction(
      deps,
      eventId,
      async (tx) => {
        if (!(await takeFetchedPage(tx, eventId, page))) throw new Error(`event ${eventId}: fetched page ${page} vanished before its merge`);
        const written = await mergePreparedPage(tx, eventId, event.race_id, prepared, startedAt);
        outcome.upserted += written;
        outcome.pages += 1;
        await addSyncCounts(tx, historyId, { upserted: written, failed: rejected.length, pages: 1 });
        await recordBackfillPage(tx, eventId, page);
        deps.log.debug('backfill page stored', { event_id: eventId, page, rows: written });
        if (last) {
          // A full pass: what was stored before it began and is no longer listed is marked, not deleted.
          if (restart) outcome.removed += await markNotListed(tx, eventId, startedAt, deps.now());
          await completeBackfill(tx, eventId, startedAt, bookmark, deps.now());
          await storeParticipantCounts(tx, eventId, await participantCounts(tx, eventId));
        }
      },
      PAGE_TRANSACTION,
    );
  };

  // Pages an earlier run fetched but did not merge come first; they are contiguous from nextPage.
  const waiting = (await fetchedPages(deps.db, eventId)).filter((p) => p.page >= nextPage);
  for (const p of waiting) {
    const body = await fetchedPageBody(deps.db, eventId, p.page);
    if (!body) throw new Error(`event ${eventId}: fetched page ${p.page} vanished before its merge`);
    await merge(p.page, participantRowsOf(body, eventId), p.last);
  }
  if (waiting.some((p) => p.last)) return bookmark;
  const startPage = waiting.length > 0 ? waiting[waiting.length - 1]!.page + 1 : nextPage;
  if (startPage > 1) deps.log.info('resuming a backfill', { event_id: eventId, page: startPage, merged_from_last_run: waiting.length });

  // The next page is asked for as soon as one is written; at most one page merging, one waiting to, one on its way.
  const pages = api.participantBodies(event.race_id, eventId, { startPage, perPage: deps.config.pageSize }, deps.signal);
  let merging: Promise<void> = Promise.resolve();
  let next = pages.next();
  try {
    for (;;) {
      const fetched = await next;
      if (fetched.done) break;
      const { page, rows, last } = fetched.value as ParticipantBody;
      await inPageTransaction(deps, eventId, (tx) => storeFetchedPage(tx, eventId, fetched.value, deps.now()), PAGE_TRANSACTION);
      deps.log.debug('backfill page fetched', { event_id: eventId, page, rows: rows.length });
      fetched.value.body = new Uint8Array(0); // written: its bytes need not stay alive
      if (!last) {
        next = pages.next();
        // Awaited above on the next turn, or dropped when a merge fails; until then its failure must not count as unhandled.
        next.catch(() => {});
      }
      await merging;
      merging = merge(page, rows, last);
      merging.catch(() => {});
      if (last) break;
    }
    await merging;
  } catch (err) {
    // A request still out is left to end on its own (its failure is handled above).
    await merging.catch(() => {});
    throw err;
  }
  return bookmark;
}
