/**
 * One job of an event task: claimed in the ledger (a new key is inserted; a
 * retry or a job whose process died is taken with a row lock), executed with
 * its lease renewed while it runs, and its end recorded. Two processes never
 * both hold one job; a job whose process dies is taken again once its lease
 * passes, up to the task's attempts, the last error kept.
 */
import type { Kysely } from 'kysely';
import { errorMessage, isAbortError } from '../../core/errors.js';
import { isDeferred, type EventJobContext, type EventTaskDefinition } from '../../core/event-task.js';
import { claimNewJob, finishJob, giveUpJob, reclaimJob, renewJobLease, type Lease } from '../../db/queries/event-jobs.js';
import type { Database } from '../../db/schema.js';
import { DEFAULT_LEASE_SECONDS, DEFAULT_MAX_ATTEMPTS, type PlannedJob } from './plan.js';

export type JobOutcome = 'done' | 'retry' | 'failed' | 'deferred' | 'held' | 'gave-up';

export type BaseJobContext = Omit<EventJobContext<Kysely<Database>, any>, 'job'>;

export async function runJob(ctx: BaseJobContext, task: EventTaskDefinition, item: unknown, job: PlannedJob): Promise<JobOutcome> {
  const db = ctx.db;
  const maxAttempts = task.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const leaseMs = (task.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  const now = ctx.now();
  if (job.decision === 'give-up') {
    const gaveUp = await giveUpJob(db, job.key, maxAttempts, now);
    if (gaveUp) ctx.failItem(job.key, `failed for good after ${maxAttempts} attempt(s): ${job.lastError ?? 'its process stopped mid-job'}`);
    return gaveUp ? 'gave-up' : 'held';
  }
  const lease: Lease = { owner: ctx.runId, runId: ctx.runId, now, until: new Date(now.getTime() + leaseMs) };
  const attempt = job.decision === 'run' ? await claimNewJob(db, job, lease) : await reclaimJob(db, job.key, maxAttempts, lease);
  if (attempt === undefined) return 'held';
  const log = ctx.log.child({ job: job.key, attempt });
  log.info('job started', { due_at: job.dueAt.toISOString() });
  // Renewed while it runs: a long job is not taken for a dead process's.
  const renew = setInterval(
    () => void renewJobLease(db, job.key, ctx.runId, new Date(ctx.now().getTime() + leaseMs)).catch(() => {}),
    Math.max(1000, leaseMs / 3),
  );
  renew.unref();
  const jobCtx: EventJobContext<Kysely<Database>, any> = {
    ...ctx,
    log,
    job: { key: job.key, itemId: job.itemId, dueAt: job.dueAt, attempt, maxAttempts },
  };
  try {
    const result = await task.execute(jobCtx, item);
    if (isDeferred(result)) {
      await finishJob(db, job.key, ctx.runId, { status: 'retry', error: `deferred: ${result.deferred}`, uncount: true, at: ctx.now() });
      log.info('job deferred: retried on a later run', { reason: result.deferred });
      return 'deferred';
    }
    await finishJob(db, job.key, ctx.runId, { status: 'done', at: ctx.now() });
    log.info('job done');
    return 'done';
  } catch (err) {
    const reason = errorMessage(err);
    if (ctx.signal.aborted || isAbortError(err)) {
      await finishJob(db, job.key, ctx.runId, { status: 'retry', error: `interrupted: ${reason}`, uncount: true, at: ctx.now() }).catch(() => {});
      throw err;
    }
    const final = attempt >= maxAttempts;
    await finishJob(db, job.key, ctx.runId, { status: final ? 'failed' : 'retry', error: reason, at: ctx.now() });
    ctx.failItem(
      job.key,
      final ? `failed for good after ${attempt} attempt(s): ${reason}` : `attempt ${attempt} of ${maxAttempts} failed (retried on a later run): ${reason}`,
    );
    return final ? 'failed' : 'retry';
  } finally {
    clearInterval(renew);
  }
}
