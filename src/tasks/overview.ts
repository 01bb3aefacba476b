/**
 * Every task at a glance, as data: its last run and outcome, its duration,
 * when a scheduler next starts it (through its own schedule or a scheduled
 * command that runs it, such as sync-and-run) and whether a run holds its lock
 * now. The dashboard and GET /api/v1/status both show this.
 */
import type { Kysely } from 'kysely';
import type { Env } from '../core/config.js';
import { nextRuns } from '../core/schedule.js';
import { isEnabled } from '../core/task.js';
import { latestPerTask, listRuns } from '../db/queries/task-logs.js';
import type { Database } from '../db/schema.js';
import { allTasks } from './registry.js';
import { resolveJobs, schedulables } from './schedules.js';

export interface TaskOverview {
  task: string;
  summary: string;
  source: string;
  enabled: boolean;
  last_run: {
    run_id: string;
    status: string;
    started_at: Date;
    finished_at: Date | null;
    duration_ms: number | null;
    failure_count: number;
    error: string | null;
  } | null;
  last_success: Date | null;
  /** The next start a scheduler makes, and by which entry (the task's own, or a command that runs it). */
  next_due: { at: Date; by: string; cron: string; time_zone: string } | null;
  running: Array<{ run_id: string; started_at: Date; host: string | null; pid: number | null }>;
}

export interface Overview {
  tasks: TaskOverview[];
  /** A setting that spoils the schedules (a malformed <NAME>_SCHEDULE, say): next due times are then left out. */
  schedule_error: string | null;
  /** Task modules of OPS_TASKS_DIR that failed to load. */
  task_errors: Array<{ file: string; error: string }>;
}

export async function taskOverview(db: Kysely<Database>, env: Env, now: Date): Promise<Overview> {
  const all = await allTasks(env);
  const [latest, running] = await Promise.all([latestPerTask(db), listRuns(db, { status: 'running', limit: 200 })]);
  const lastByTask = new Map(latest.map((r) => [r.task, r]));

  const nextDue = new Map<string, TaskOverview['next_due']>();
  let scheduleError: string | null = null;
  try {
    for (const job of resolveJobs(await schedulables(env), env)) {
      const [at] = nextRuns(job.cron, job.timeZone, now, 1);
      if (!at) continue;
      for (const task of job.tasks) {
        const known = nextDue.get(task);
        if (!known || at < known.at) nextDue.set(task, { at, by: job.name, cron: job.cron, time_zone: job.timeZone });
      }
    }
  } catch (err) {
    scheduleError = (err as Error).message;
  }

  const row = (name: string, summary: string, source: string, enabled: boolean): TaskOverview => {
    const last = lastByTask.get(name);
    return {
      task: name,
      summary,
      source,
      enabled,
      last_run: last
        ? {
            run_id: last.run_id,
            status: last.status,
            started_at: new Date(last.started_at),
            finished_at: last.finished_at ? new Date(last.finished_at) : null,
            duration_ms: last.duration_ms,
            failure_count: last.failure_count,
            error: last.error,
          }
        : null,
      last_success: last?.last_success ? new Date(last.last_success) : null,
      next_due: enabled ? (nextDue.get(name) ?? null) : null,
      running: running.filter((r) => r.task === name).map((r) => ({ run_id: r.run_id, started_at: new Date(r.started_at), host: r.host, pid: r.pid })),
    };
  };
  const tasks = all.tasks.map(({ task, source }) => row(task.name, task.summary, source, enabledOrDefault(task, env)));
  // Runs of a task no longer known (renamed, or a folder task removed) still show.
  for (const name of lastByTask.keys()) if (!tasks.some((t) => t.task === name)) tasks.push(row(name, '(not a known task now)', 'task_logs', false));
  return { tasks, schedule_error: scheduleError, task_errors: all.errors.map((e) => ({ file: e.file, error: e.message })) };
}

/** A malformed <NAME>_ENABLED is reported by the schedules (schedule_error); the row shows the task's own default. */
function enabledOrDefault(task: { name: string; enabled?: boolean }, env: Env): boolean {
  try {
    return isEnabled(task, env);
  } catch {
    return task.enabled ?? true;
  }
}
