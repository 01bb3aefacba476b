/**
 * run-due: every event-relative job whose due time has come, once per job key
 * `<task>/<item id>/<environment>` (OPS_ENV), for every enabled event task,
 * built-in (reconcile-event) or from OPS_TASKS_DIR. Cron starts it every
 * minute; several may run at once (lock slots): the ledger keeps them off each
 * other's jobs. A task whose settings or query fail is a failed item; the
 * others still run.
 */
import type { Kysely } from 'kysely';
import { readSettings } from '../core/config.js';
import { errorMessage, throwIfAborted } from '../core/errors.js';
import type { EventTaskDefinition } from '../core/event-task.js';
import { defineTask, isEnabled } from '../core/task.js';
import { jobsByKeys, recordMisfire } from '../db/queries/event-jobs.js';
import type { Database } from '../db/schema.js';
import { runJob, type BaseJobContext } from './event-jobs/execute.js';
import { itemIdOf, jobKey, planJobs, type LedgerRow, type PlannedJob } from './event-jobs/plan.js';
import { allTasks } from './registry.js';

/** Lock slots: up to this many run-due processes at once (the ledger keeps them apart). */
export const RUN_DUE_WORKERS = 4;

export interface DueTaskPlan {
  task: EventTaskDefinition;
  source: string;
  jobs: PlannedJob[];
  items: Map<string, unknown>;
  error?: string;
}

/** For each enabled event task: its items and their jobs at now; a task that cannot be asked says why. */
export async function planDue(base: Omit<BaseJobContext, 'config'>, db: Kysely<Database>): Promise<{ plans: DueTaskPlan[]; loadErrors: string[] }> {
  const all = await allTasks(base.env, [], { eventOnly: true });
  const loadErrors = all.errors.map((e) => `${e.file}: ${e.message}`);
  const environment = base.runtime.env;
  const plans: DueTaskPlan[] = [];
  for (const { task, source } of all.eventTasks) {
    if (!isEnabled(task, base.env)) continue;
    const plan: DueTaskPlan = { task, source, jobs: [], items: new Map() };
    plans.push(plan);
    try {
      const config = readSettings(task.settings, base.env);
      const items = await task.query({ ...base, config });
      plan.items = keyedItems(task, items, environment);
      const ledger = new Map<string, LedgerRow>((await jobsByKeys(db, [...plan.items.keys()])).map((r) => [r.job_key, r]));
      const { jobs, invalid } = planJobs(task, items, ledger, { now: base.now(), environment, development: environment === 'development' });
      for (const reason of invalid) base.failItem(task.name, reason);
      plan.jobs = jobs;
    } catch (err) {
      plan.error = errorMessage(err);
    }
  }
  return { plans, loadErrors };
}

function keyedItems(task: EventTaskDefinition, items: unknown[], environment: string): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const item of items) {
    const id = itemIdOf(task, item);
    if (id !== undefined) map.set(jobKey(task.name, id, environment), item);
  }
  return map;
}

export const runDue = defineTask({
  name: 'run-due',
  summary: 'execute every event-relative job whose due time has come, once per job key',
  description: 'Runs the jobs of every event task (reconcile-event, and those of OPS_TASKS_DIR) recorded in the event_jobs ledger.',
  schedule: { cron: '* * * * *' },
  settings: {},
  deadlineSeconds: 3600,
  lockKey: () => Array.from({ length: RUN_DUE_WORKERS }, (_, i) => `run-due#${i + 1}`),
  async run(ctx) {
    const db = ctx.db as Kysely<Database>;
    const { runStep: _runStep, progress: _progress, failures: _failures, failureCount: _count, ...rest } = ctx;
    const base = { ...rest, db };
    const { plans, loadErrors } = await planDue(base, db);
    for (const e of loadErrors) ctx.failItem('task module', e);
    const stats = { tasks: plans.length, due: 0, done: 0, retried: 0, failed: 0, misfired: 0, deferred: 0, held: 0, later: 0 };
    for (const plan of plans) {
      if (plan.error) {
        ctx.failItem(plan.task.name, plan.error);
        continue;
      }
      const config = readSettings(plan.task.settings, ctx.env);
      for (const job of plan.jobs) {
        throwIfAborted(ctx.signal);
        if (job.decision === 'later') stats.later += 1;
        else if (job.decision === 'held' || job.decision === 'finished') {
          if (job.decision === 'held') stats.held += 1;
        } else if (job.decision === 'misfire') {
          const late = Math.round((ctx.now().getTime() - job.dueAt.getTime()) / 1000);
          const recorded = await recordMisfire(db, job, `misfired: first seen ${late} s after its due time, past its grace`, ctx.runId, ctx.now());
          if (recorded) {
            stats.misfired += 1;
            ctx.log.warn('job misfired: not run', { job: job.key, due_at: job.dueAt.toISOString() });
          }
        } else {
          stats.due += 1;
          const outcome = await runJob({ ...base, config }, plan.task, plan.items.get(job.key), job);
          if (outcome === 'done') stats.done += 1;
          else if (outcome === 'retry') stats.retried += 1;
          else if (outcome === 'failed' || outcome === 'gave-up') stats.failed += 1;
          else if (outcome === 'deferred') stats.deferred += 1;
          else stats.held += 1;
        }
      }
    }
    if (stats.due === 0 && stats.misfired === 0) ctx.note('Nothing is due.');
    if (stats.deferred > 0) ctx.note(`${stats.deferred} job(s) deferred: they stay due and run on a later run`);
    return stats;
  },
});
