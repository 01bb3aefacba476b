/**
 * The one schedule source: every task that declares a `schedule`, with the
 * settings that override it applied. `ops schedule` shows it and `ops schedule
 * export` turns it into a crontab, EventBridge schedules or Kubernetes
 * CronJobs, so that no scheduler's file is written by hand.
 *
 * sync-and-run is a command (sync-centers, then run-batch), not a task of its
 * own: its schedule is declared here, next to the two tasks it runs.
 */
import type { Env, Setting } from '../core/config.js';
import { DEFAULT_DEADLINE_SECONDS } from '../core/deadline.js';
import { resolveSchedule, type ResolvedSchedule } from '../core/schedule.js';
import { isEnabled, lockKeysOf, type TaskDefinition, type TaskSchedule } from '../core/task.js';
import { allTasks, taskLoaders } from './registry.js';

export interface ScheduledJob extends ResolvedSchedule {
  /** The command: `ops <name> <args…>`. */
  name: string;
  summary: string;
  /** The tasks a run executes. */
  tasks: string[];
  /** The locks a run of it takes (any one held means a run is going on). */
  lockKeys: string[];
  /** Its tasks' deadlines added up, in seconds (a scheduler's own limit goes beyond it). */
  deadlineSeconds: number;
  /** Every setting its tasks (and their steps) read: what a deployment must provide. */
  settings: Setting<unknown>[];
}

/** What a scheduled entry needs from a task; sync-and-run, a command, provides the same. */
export interface Schedulable {
  name: string;
  summary: string;
  schedule?: TaskSchedule;
  /** The tasks a run executes, each with its own lock. */
  tasks: TaskDefinition<any, any, any>[];
}

async function syncAndRun(): Promise<Schedulable> {
  const [syncCenters, runBatch] = await Promise.all([taskLoaders['sync-centers']!(), taskLoaders['run-batch']!()]);
  return {
    name: 'sync-and-run',
    summary: 'sync-centers, then run-batch',
    schedule: { cron: '0 2 * * *' },
    tasks: [syncCenters, runBatch],
  };
}

/** Every task with a schedule (built-in, and from OPS_TASKS_DIR), plus sync-and-run. A module that fails to load is named by `ops tasks`. */
export async function schedulables(env: Env = process.env): Promise<Schedulable[]> {
  const tasks = (await allTasks(env)).tasks.map((t) => t.task);
  const own = tasks.filter((t) => t.schedule).map((t) => ({ name: t.name, summary: t.summary, schedule: t.schedule, tasks: [t] }));
  return [await syncAndRun(), ...own];
}

function settingsOf(task: TaskDefinition<any, any, any>): Setting<unknown>[] {
  return [...Object.values(task.settings as Record<string, Setting<unknown>>), ...(task.steps ?? []).flatMap(settingsOf)];
}

/** Every enabled scheduled job, its overrides applied; a malformed override is a ConfigError naming the variable (exit 78). */
export function resolveJobs(entries: Schedulable[], env: Env = process.env): ScheduledJob[] {
  const jobs: ScheduledJob[] = [];
  for (const entry of entries) {
    // A task switched off (its `enabled`, or <NAME>_ENABLED) has no schedule to export.
    if (!entry.schedule || entry.tasks.some((t) => !isEnabled(t, env))) continue;
    const seen = new Set<string>();
    const settings = entry.tasks.flatMap(settingsOf).filter((s) => !seen.has(s.name) && seen.add(s.name));
    jobs.push({
      name: entry.name,
      summary: entry.summary,
      ...resolveSchedule(entry.name, entry.schedule, env),
      tasks: entry.tasks.map((t) => t.name),
      lockKeys: entry.tasks.flatMap((t) => lockKeysOf(t, {})),
      deadlineSeconds: entry.tasks.reduce((sum, t) => sum + (t.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS), 0),
      settings,
    });
  }
  return jobs;
}
