/**
 * `ops tasks`: every task, built-in and from OPS_TASKS_DIR, with its
 * description, whether it is enabled (and by what), its schedule, and its last
 * run and outcome from task_logs (an event task: its newest job in the ledger).
 * Reads only. A task module that fails to load is listed with its error.
 */
import { resolveSchedule, type ResolvedSchedule } from '../core/schedule.js';
import { isEnabled, enabledVariable } from '../core/task.js';
import { durationMs } from '../core/event-task.js';
import { latestPerTask } from '../db/queries/task-logs.js';
import { latestJobPerTask } from '../db/queries/event-jobs.js';
import { isUndefinedTable } from '../db/sql-errors.js';
import type { Database } from '../db/schema.js';
import type { Kysely } from 'kysely';
import { errorMessage, OpsError } from '../core/errors.js';
import { allTasks } from '../tasks/registry.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { ago, colorStatus } from './summary.js';

interface Row {
  name: string;
  kind: 'task' | 'event';
  source: string;
  summary: string;
  description: string | null;
  enabled: boolean;
  enabled_by: string;
  schedule: string | null;
  last_run: { run_id: string | null; status: string; at: string | null; error: string | null } | null;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return `${Math.abs(h)} h ${h < 0 ? 'before' : 'after'}`;
}

export async function tasksCommand(flags: GlobalFlags, commandNames: string[] = []): Promise<number> {
  const output = createOutput(flags);
  let all: Awaited<ReturnType<typeof allTasks>>;
  try {
    all = await allTasks(process.env, commandNames);
  } catch (err) {
    return reportError(output, err);
  }
  const enabledOf = (task: { name: string; enabled?: boolean }) => {
    const variable = enabledVariable(task.name);
    const set = process.env[variable]?.trim();
    return { enabled: isEnabled(task, process.env), enabled_by: set ? variable : task.enabled === false ? 'its definition' : 'default' };
  };
  // What every row says of its task besides its name and kind, plain or event task.
  const described = (task: { name: string; summary: string; description?: string; enabled?: boolean }, source: string) => ({
    source,
    summary: task.summary,
    description: task.description ?? null,
    ...enabledOf(task),
  });
  return withStorage(
    output,
    async ({ db }) => {
      const runs = new Map((await latestPerTask(db)).map((r) => [r.task, r]));
      const jobs = new Map((await latestJobs(db)).map((j) => [j.task, j]));
      const rows: Row[] = [
        ...all.tasks.map(({ task, source }) => {
          const run = runs.get(task.name);
          return {
            name: task.name,
            kind: 'task' as const,
            ...described(task, source),
            // As schedulers get it: <NAME>_SCHEDULE and the time-zone settings applied (a bad one is exit 78).
            schedule: task.schedule ? describeSchedule(resolveSchedule(task.name, task.schedule, process.env)) : null,
            last_run: run ? { run_id: run.run_id, status: run.status, at: new Date(run.started_at).toISOString(), error: run.error } : null,
          };
        }),
        ...all.eventTasks.map(({ task, source }) => {
          const job = jobs.get(task.name);
          return {
            name: task.name,
            kind: 'event' as const,
            ...described(task, source),
            schedule: `run-due: ${hours(durationMs(task.offset))} its time`,
            last_run: job ? { run_id: job.job_key, status: job.status, at: new Date(job.updated_at).toISOString(), error: job.last_error } : null,
          };
        }),
      ];
      const errors = all.errors.map((e) => ({ file: e.file, error: e.message }));
      if (flags.json) {
        output.printJson({ tasks: rows, errors });
        return errors.length > 0 ? 2 : 0;
      }
      const c = output.color;
      for (const r of rows) {
        const state = r.enabled ? c.green('enabled ') : c.yellow('disabled');
        const last = r.last_run
          ? `${colorStatus(c, r.last_run.status, r.last_run.status.padEnd(11))} ${ago(new Date(r.last_run.at ?? 0))}`
          : c.gray('never run');
        output.print(`${c.bold(r.name.padEnd(18))} ${state} ${(r.schedule ?? '-').padEnd(28)} ${last}`);
        output.print(c.gray(`  ${r.description ?? r.summary}${r.source === 'built-in' ? '' : `  (${r.source})`}`));
      }
      for (const e of errors) output.print(c.red(`task module ${e.file}: ${e.error}`));
      return errors.length > 0 ? 2 : 0;
    },
    { readOnly: true },
  );
}

/**
 * The newest job of every event task. A database from before the ledger (its
 * migration not applied: no event_jobs table) has none yet; any other failure
 * is the command's (exit 1), never shown as "never run".
 */
async function latestJobs(db: Kysely<Database>) {
  try {
    return await latestJobPerTask(db);
  } catch (err) {
    if (isUndefinedTable(err)) return [];
    throw new OpsError(`cannot read the event-job ledger (event_jobs): ${errorMessage(err)}`, { cause: err });
  }
}

/** The cron expression, followed by its time zone when that is not UTC. */
function describeSchedule(schedule: ResolvedSchedule): string {
  return schedule.timeZone === 'UTC' ? schedule.cron : `${schedule.cron} ${schedule.timeZone}`;
}
