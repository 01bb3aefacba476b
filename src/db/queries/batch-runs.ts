/** Every statement on batch_runs and batch_run_centers, one function each. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { inChunks } from './chunks.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewBatchRun {
  runId: string;
  trigger: string;
  resumedFrom: string | null;
  provider: string;
  model: string;
  promptVersion: string;
  outputDir: string;
  startedAt: Date;
  centers: Array<{ centerId: string; slug: string }>;
}

/** The run and one `pending` row per center, in one transaction. */
export async function createBatchRun(db: Kysely<Database>, run: NewBatchRun): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('batch_runs')
      .values({
        run_id: run.runId,
        status: 'running',
        trigger: run.trigger,
        resumed_from: run.resumedFrom,
        total_centers: run.centers.length,
        provider: run.provider,
        model: run.model,
        prompt_version: run.promptVersion,
        output_dir: run.outputDir,
        started_at: run.startedAt,
      })
      .execute();
    // In bounded statements: a statement takes at most 65,535 bind parameters.
    for (const chunk of inChunks(run.centers)) {
      await trx
        .insertInto('batch_run_centers')
        .values(chunk.map((c) => ({ run_id: run.runId, center_id: c.centerId, slug: c.slug, status: 'pending' })))
        .execute();
    }
  });
}

export interface CenterOutcome {
  runId: string;
  centerId: string;
  status: 'success' | 'failed';
  eventsFound: number;
  eventsDropped: number;
  dropReasons: Array<{ index: number; name: string | null; reason: string }>;
  csvPath: string | null;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  attempts: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * One center's outcome and the run's counters, in the caller's transaction:
 * the counters on batch_runs are true at every moment, even mid-run.
 */
export async function recordCenterOutcome(trx: Transaction<Database>, o: CenterOutcome): Promise<void> {
  await trx
    .updateTable('batch_run_centers')
    .set({
      status: o.status,
      events_found: o.eventsFound,
      events_dropped: o.eventsDropped,
      drop_reasons: JSON.stringify(o.dropReasons.slice(0, 50)),
      csv_path: o.csvPath,
      tokens_in: o.tokensIn,
      tokens_out: o.tokensOut,
      estimated_cost: o.cost,
      attempts: o.attempts,
      error: o.error,
      started_at: o.startedAt,
      finished_at: o.finishedAt,
    })
    .where('run_id', '=', o.runId)
    .where('center_id', '=', o.centerId)
    .execute();
  const ok = o.status === 'success' ? 1 : 0;
  await trx
    .updateTable('batch_runs')
    .set((eb) => ({
      processed_centers: eb('processed_centers', '+', 1),
      successful_centers: eb('successful_centers', '+', ok),
      failed_centers: eb('failed_centers', '+', 1 - ok),
      events_found: eb('events_found', '+', o.eventsFound),
      events_dropped: eb('events_dropped', '+', o.eventsDropped),
      tokens_in: eb('tokens_in', '+', o.tokensIn),
      tokens_out: eb('tokens_out', '+', o.tokensOut),
      estimated_cost: sql<number>`estimated_cost + ${o.cost}`,
    }))
    .where('run_id', '=', o.runId)
    .execute();
}

/** Centers never reached (interrupted run) become `skipped` with the reason. */
export async function skipPendingCenters(db: Db, runId: string, reason: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('batch_run_centers')
    .set({ status: 'skipped', error: reason, finished_at: at })
    .where('run_id', '=', runId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0);
}

export async function finishBatchRun(db: Db, runId: string, status: string, at: Date, error: string | null): Promise<void> {
  await db.updateTable('batch_runs').set({ status, completed_at: at, error_message: error }).where('run_id', '=', runId).execute();
}

export interface BatchClosing {
  status: 'failed' | 'interrupted';
  /** Why the run ends, for batch_runs.error_message. */
  error: string;
  /** Why a center still pending was not run. */
  skipReason: string;
  /** The center whose failure ended the run, recorded `failed` with the error (its own write was rolled back). */
  failedCenter?: { centerId: string; error: string; startedAt: Date };
}

/**
 * Ends a run that stops early, in one transaction: the center that failed it
 * (if one did), every center still pending skipped with the reason, and the
 * run's status. Returns how many centers were skipped.
 */
export async function closeBatchRun(db: Kysely<Database>, runId: string, closing: BatchClosing, at: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const failed = closing.failedCenter;
    if (failed) {
      const updated = await trx
        .updateTable('batch_run_centers')
        .set({ status: 'failed', error: failed.error, started_at: failed.startedAt, finished_at: at })
        .where('run_id', '=', runId)
        .where('center_id', '=', failed.centerId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows ?? 0) > 0) {
        await trx
          .updateTable('batch_runs')
          .set((eb) => ({ processed_centers: eb('processed_centers', '+', 1), failed_centers: eb('failed_centers', '+', 1) }))
          .where('run_id', '=', runId)
          .execute();
      }
    }
    const skipped = await skipPendingCenters(trx, runId, closing.skipReason, at);
    await finishBatchRun(trx, runId, closing.status, at, closing.error);
    return skipped;
  });
}

/**
 * Runs left `running` by a process that died (the caller holds run-batch's
 * lock, so none is live): interrupted, and their pending centers skipped.
 * Returns them with their output folders (which may hold its temporary files).
 */
export async function closeAbandonedRuns(db: Kysely<Database>, at: Date): Promise<Array<{ run_id: string; output_dir: string | null }>> {
  const rows = await db.selectFrom('batch_runs').select(['run_id', 'output_dir']).where('status', '=', 'running').execute();
  for (const { run_id } of rows) {
    await closeBatchRun(
      db,
      run_id,
      { status: 'interrupted', error: 'the process ended without finishing the run', skipReason: 'the process running the batch ended before this center ran' },
      at,
    );
  }
  return rows;
}

export async function getBatchRun(db: Db, runId: string) {
  return db.selectFrom('batch_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
}

export async function latestBatchRun(db: Db) {
  return db.selectFrom('batch_runs').selectAll().orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

export async function listRunCenters(db: Db, runId: string) {
  return db.selectFrom('batch_run_centers').selectAll().where('run_id', '=', runId).orderBy('slug').execute();
}

/** Centers of a run that did not succeed: what `--resume` does again. */
export async function unsuccessfulCenterIds(db: Db, runId: string): Promise<string[]> {
  const rows = await db.selectFrom('batch_run_centers').select('center_id').where('run_id', '=', runId).where('status', '!=', 'success').execute();
  return rows.map((r) => r.center_id);
}
