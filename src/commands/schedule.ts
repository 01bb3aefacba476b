/**
 * `ops schedule`: every enabled scheduled task, its cron expression and time
 * zone, its next start times (in that zone, across DST changes) and whether a
 * run holds its lock now: the "cron status" view. The schedule needs no
 * database; the lock state does, and is shown as unknown without one.
 */
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { readSettings } from '../core/config.js';
import { BusyError, errorMessage } from '../core/errors.js';
import { readLiveStatuses } from '../core/live-status.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import { nextRuns } from '../core/schedule.js';
import type { RuntimeConfig } from '../core/task.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';

export interface LockState {
  /** null: unknown (no database to ask). */
  running: boolean | null;
  /** The run recorded `running` under that lock, when one holds it. */
  run_id?: string;
  host?: string | null;
  pid?: number | null;
  since?: string;
}

interface JobLocks {
  name: string;
  tasks: string[];
  lockKeys: string[];
}

/** Asks the database who holds each job's locks; an embedded database in use by another process answers from its live files. */
async function lockStates(jobs: JobLocks[], runtime: RuntimeConfig): Promise<{ states: Map<string, LockState>; note?: string }> {
  const states = new Map<string, LockState>();
  const { openReadOnly } = await import('../db/index.js');
  const { runningHolder } = await import('../db/queries/task-logs.js');
  let handle: Awaited<ReturnType<typeof openReadOnly>> | undefined;
  try {
    handle = await openReadOnly(runtime, createOutput({ quiet: true }).log);
    for (const job of jobs) {
      let state: LockState = { running: false };
      for (const key of job.lockKeys) {
        if (!(await handle.lockHeld(key))) continue;
        const holder = await runningHolder(handle.db, key);
        state = { running: true, ...(holder && { run_id: holder.runId, host: holder.host, pid: holder.pid, since: holder.startedAt.toISOString() }) };
        break;
      }
      states.set(job.name, state);
    }
    return { states };
  } catch (err) {
    if (err instanceof BusyError) {
      // The embedded database admits one process: the one that has it writes what it runs under live/.
      const { pidAlive } = await import('../db/data-dir-lock.js');
      const live = readLiveStatuses(join(runtime.dataDir, 'live'), pidAlive);
      for (const job of jobs) {
        const run = live.find((s) => job.tasks.includes(s.task));
        states.set(job.name, run ? { running: true, run_id: run.run_id, pid: run.pid, since: run.started_at } : { running: false });
      }
      return { states, note: `${err.message}: lock state read from its live files` };
    }
    for (const job of jobs) states.set(job.name, { running: null });
    return { states, note: `lock state unknown: ${errorMessage(err)}` };
  } finally {
    await handle?.close().catch(() => {});
  }
}

export async function scheduleCommand(flags: GlobalFlags, options: { count: number }): Promise<number> {
  const output = createOutput(flags);
  try {
    const runtime = readSettings(runtimeSettings);
    const { schedulables, resolveJobs } = await import('../tasks/schedules.js');
    const jobs = resolveJobs(await schedulables());
    const now = runtime.now ?? new Date();
    const { states, note } = await lockStates(jobs, runtime);
    if (note) output.log.warn(note);
    const rows = jobs.map((job) => ({
      name: job.name,
      command: ['ops', job.name, ...job.args].join(' '),
      cron: job.cron,
      time_zone: job.timeZone,
      overridden_by: job.overriddenBy,
      next_runs: nextRuns(job.cron, job.timeZone, now, options.count).map((d) => DateTime.fromJSDate(d, { zone: job.timeZone }).toISO()),
      lock_keys: job.lockKeys,
      ...(states.get(job.name) ?? { running: null }),
    }));
    if (flags.json) {
      output.printJson(rows);
      return 0;
    }
    const c = output.color;
    for (const row of rows) {
      const lock =
        row.running === null ? c.gray('lock unknown') : row.running ? c.yellow(`running${row.run_id ? ` · run ${row.run_id}` : ''}`) : c.green('idle');
      const changed = row.overridden_by.length ? c.gray(`  (set by ${row.overridden_by.join(', ')})`) : '';
      output.print(`${c.bold(row.name.padEnd(17))} ${row.cron.padEnd(14)} ${row.time_zone.padEnd(16)} ${lock}${changed}`);
      output.print(c.gray(`  ${row.command}`));
      const times = row.next_runs.map((iso) => DateTime.fromISO(iso!, { setZone: true }).toFormat('yyyy-LL-dd HH:mm ZZ'));
      output.print(`  next: ${times.join(' · ')}`);
    }
    return 0;
  } catch (err) {
    return reportError(output, err);
  }
}
