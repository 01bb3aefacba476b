/**
 * Every statement on event_jobs, the ledger of event-relative jobs. A job is
 * claimed by inserting its key (ON CONFLICT DO NOTHING: one process wins), or,
 * when its row is waiting for a retry or its lease has passed, by a
 * conditional update of a row locked FOR UPDATE SKIP LOCKED: two processes
 * never both hold one job.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, EventJobStatus } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface JobKey {
  key: string;
  task: string;
  itemId: string;
  environment: string;
  dueAt: Date;
}

export interface Lease {
  owner: string;
  runId: string;
  now: Date;
  until: Date;
}

export async function jobsByKeys(db: Db, keys: string[]) {
  if (keys.length === 0) return [];
  return db.selectFrom('event_jobs').selectAll().where('job_key', 'in', keys).execute();
}

/** The columns that name a job, as every new ledger row has them. */
function identity(job: JobKey) {
  return { job_key: job.key, task: job.task, item_id: job.itemId, environment: job.environment, due_at: job.dueAt };
}

/** First attempt: the row is created `running`; undefined when another process made it first. */
export async function claimNewJob(db: Db, job: JobKey, lease: Lease): Promise<number | undefined> {
  const row = await db
    .insertInto('event_jobs')
    .values({
      ...identity(job),
      status: 'running',
      attempts: 1,
      lease_owner: lease.owner,
      lease_until: lease.until,
      run_id: lease.runId,
      created_at: lease.now,
      updated_at: lease.now,
    })
    .onConflict((oc) => oc.column('job_key').doNothing())
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts;
}

/** A later attempt of a job waiting for a retry, or left `running` by a process whose lease passed; undefined when not claimable. */
export async function reclaimJob(db: Db, key: string, maxAttempts: number, lease: Lease): Promise<number | undefined> {
  const row = await db
    .updateTable('event_jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      lease_owner: lease.owner,
      lease_until: lease.until,
      run_id: lease.runId,
      updated_at: lease.now,
    }))
    .where(
      'job_key',
      'in',
      db
        .selectFrom('event_jobs')
        .select('job_key')
        .where('job_key', '=', key)
        .where('attempts', '<', maxAttempts)
        .where((eb) => eb.or([eb('status', '=', 'retry'), eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', lease.now)])]))
        .forUpdate()
        .skipLocked(),
    )
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts;
}

/** Keeps a job this process runs from being taken over; false when it was lost. */
export async function renewJobLease(db: Db, key: string, owner: string, until: Date): Promise<boolean> {
  const r = await db
    .updateTable('event_jobs')
    .set({ lease_until: until })
    .where('job_key', '=', key)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * The end of an attempt this process holds: done, retry (later run) or failed
 * (for good). `uncount`: the attempt does not count (deferred, interrupted).
 */
export async function finishJob(
  db: Db,
  key: string,
  owner: string,
  end: { status: Extract<EventJobStatus, 'done' | 'retry' | 'failed'>; error?: string; uncount?: boolean; at: Date },
): Promise<boolean> {
  const r = await db
    .updateTable('event_jobs')
    .set((eb) => ({
      status: end.status,
      attempts: end.uncount ? eb('attempts', '-', 1) : eb.ref('attempts'),
      last_error: end.error ?? (end.status === 'done' ? null : eb.ref('last_error')),
      lease_owner: null,
      lease_until: null,
      updated_at: end.at,
      finished_at: end.status === 'retry' ? null : end.at,
    }))
    .where('job_key', '=', key)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A job left `running` by dead processes as often as its task allows: failed for good, the last error kept. */
export async function giveUpJob(db: Db, key: string, maxAttempts: number, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('event_jobs')
    .set({
      status: 'failed',
      last_error: sql<string>`coalesce(last_error || '; ', '') || ${`its process stopped during attempt ${maxAttempts} of ${maxAttempts} (lease passed)`}`,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
      finished_at: now,
    })
    .where('job_key', '=', key)
    .where('attempts', '>=', maxAttempts)
    .where((eb) => eb.or([eb('status', '=', 'retry'), eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', now)])]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A job first seen past its misfire grace: recorded, not run. */
export async function recordMisfire(db: Db, job: JobKey, reason: string, runId: string, now: Date): Promise<boolean> {
  const r = await db
    .insertInto('event_jobs')
    .values({
      ...identity(job),
      status: 'misfired',
      attempts: 0,
      last_error: reason,
      run_id: runId,
      created_at: now,
      updated_at: now,
      finished_at: now,
    })
    .onConflict((oc) => oc.column('job_key').doNothing())
    .returning('job_key')
    .executeTakeFirst();
  return r !== undefined;
}

/** The newest job of every event task (ops tasks). */
export async function latestJobPerTask(db: Db) {
  return db
    .selectFrom('event_jobs')
    .distinctOn('task')
    .select(['task', 'job_key', 'status', 'updated_at', 'last_error'])
    .orderBy('task')
    .orderBy('updated_at', 'desc')
    .execute();
}
