/** Every statement on task_logs, one function each. */
import { sql, type Kysely } from 'kysely';
import type { LockHolder, RunEnd, RunStart } from '../../core/run-record.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export async function insertRun(db: Db, run: RunStart): Promise<void> {
  await db
    .insertInto('task_logs')
    .values({
      run_id: run.runId,
      task: run.task,
      lock_key: run.lockKey,
      status: 'running',
      started_at: run.startedAt,
      host: run.host,
      pid: run.pid,
      args: JSON.stringify(run.args),
      parent_run_id: run.parentRunId ?? null,
    })
    .execute();
}

export async function finishRun(db: Db, run: RunEnd): Promise<void> {
  await db.updateTable('task_logs').set(outcomeColumns(run)).where('run_id', '=', run.runId).execute();
}

/** The columns a run's outcome fills: set when it ends, whichever way it is recorded. */
function outcomeColumns(end: RunEnd) {
  return {
    status: end.status,
    finished_at: end.finishedAt,
    duration_ms: end.durationMs,
    stats: JSON.stringify(end.stats),
    failures: JSON.stringify(end.failures),
    failure_count: end.failureCount,
    error: end.error ?? null,
  };
}

/** The task_logs row of a run that has ended, as one insert's values. */
function finishedRunRow(run: RunStart & RunEnd) {
  return {
    run_id: run.runId,
    task: run.task,
    lock_key: run.lockKey,
    started_at: run.startedAt,
    host: run.host,
    pid: run.pid,
    args: JSON.stringify(run.args),
    parent_run_id: run.parentRunId ?? null,
    ...outcomeColumns(run),
  };
}

/** A whole run at once (a skipped run recorded later); a second copy is ignored. */
export async function insertFinishedRun(db: Db, run: RunStart & RunEnd): Promise<void> {
  await db
    .insertInto('task_logs')
    .values(finishedRunRow(run))
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

/**
 * A run kept outside the database (pending-runs): inserted whole, or, when its
 * row was started but never finished, that `running` row completed. A row that
 * already has an outcome is left as it is, so importing twice changes nothing.
 */
export async function recordPendingRun(db: Db, run: RunStart & RunEnd): Promise<void> {
  await db
    .insertInto('task_logs')
    .values(finishedRunRow(run))
    .onConflict((oc) => oc.column('run_id').doUpdateSet(outcomeColumns(run)).where('task_logs.status', '=', 'running'))
    .execute();
}

/**
 * Rows of this lock still `running` belong to a process that died: the caller
 * holds the lock, so no live run can own them. `lockKey` undefined means every
 * running row (the embedded database, whose folder lock excludes all others).
 */
export async function markStaleRuns(db: Db, lockKey: string | undefined, foundBy: string, now: Date): Promise<number> {
  let query = db
    .updateTable('task_logs')
    .set({
      status: 'interrupted',
      finished_at: now,
      duration_ms: sql<number>`greatest(0, (extract(epoch from ${now}::timestamptz - started_at) * 1000)::int)`,
      error: sql<string>`'process ' || coalesce(host, '?') || ' pid ' || coalesce(pid::text, '?') || ' ended without recording an outcome; found by run ' || ${foundBy}::text`,
    })
    .where('status', '=', 'running');
  if (lockKey !== undefined) query = query.where('lock_key', '=', lockKey);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0);
}

export async function runningHolder(db: Db, lockKey: string): Promise<LockHolder | undefined> {
  const row = await db
    .selectFrom('task_logs')
    .select(['run_id', 'host', 'pid', 'started_at'])
    .where('lock_key', '=', lockKey)
    .where('status', '=', 'running')
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  return row && { runId: row.run_id, host: row.host, pid: row.pid, startedAt: new Date(row.started_at) };
}

/** The newest run of every task, plus its last success. */
export async function latestPerTask(db: Db) {
  return db
    .selectFrom('task_logs as t')
    .distinctOn('t.task')
    .select(['t.task', 't.run_id', 't.status', 't.started_at', 't.finished_at', 't.duration_ms', 't.stats', 't.failure_count', 't.error'])
    .select((eb) =>
      eb
        .selectFrom('task_logs as s')
        .select((e) => e.fn.max('s.finished_at').as('last_success'))
        .whereRef('s.task', '=', 't.task')
        .where('s.status', '=', 'success')
        .as('last_success'),
    )
    .orderBy('t.task')
    .orderBy('t.started_at', 'desc')
    .execute();
}

export interface ListRunsFilter {
  task?: string;
  limit: number;
  failedOnly?: boolean;
  runId?: string;
  status?: string;
  /** The steps of a run (sync-and-run, daily-tasks). */
  parentRunId?: string;
  /** Runs started at or after. */
  from?: Date;
  /** Runs started before. */
  to?: Date;
}

export async function listRuns(db: Db, filter: ListRunsFilter) {
  let query = db.selectFrom('task_logs').selectAll().orderBy('started_at', 'desc').limit(filter.limit);
  if (filter.task) query = query.where('task', '=', filter.task);
  if (filter.runId) query = query.where('run_id', '=', filter.runId);
  if (filter.failedOnly) query = query.where('status', 'in', ['failed', 'partial', 'interrupted']);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.parentRunId) query = query.where('parent_run_id', '=', filter.parentRunId);
  if (filter.from) query = query.where('started_at', '>=', filter.from);
  if (filter.to) query = query.where('started_at', '<', filter.to);
  return query.execute();
}

/** Finished runs since `from`, oldest first: what a chart of run durations over time draws. */
export async function runDurations(db: Db, from: Date, limit: number) {
  return db
    .selectFrom('task_logs')
    .select(['task', 'run_id', 'status', 'started_at', 'duration_ms'])
    .where('started_at', '>=', from)
    .where('duration_ms', 'is not', null)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute()
    .then((rows) => rows.reverse());
}

/** The tasks that have runs, for a filter's choices. */
export async function loggedTaskNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('task_logs').select('task').distinct().orderBy('task').execute();
  return rows.map((r) => r.task);
}
