/**
 * Runs one task, or several in order (sync-and-run), through the runner:
 * every task's settings are validated before any of them starts, storage is
 * opened once, each task gets its own lock and task_logs row.
 */
import { hostname } from 'node:os';
import type { Env } from '../core/config.js';
import { clockStartingAt, type Clock } from '../core/clock.js';
import { BusyError, ExitCode, OpsError, errorMessage } from '../core/errors.js';
import { instantSummary, newRunId, prepare, runTask } from '../core/runner.js';
import type { RunEnd, RunStart, RunStore, RunSummary } from '../core/run-record.js';
import { redact } from '../core/redact.js';
import { installSignalHandlers } from '../core/signals.js';
import { enabledVariable, isEnabled, lockKeysOf, type RuntimeConfig, type TaskDefinition } from '../core/task.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
import { checkOutputDir } from './output-dir-check.js';
import { formatSummary } from './summary.js';

export interface TaskCall {
  task: TaskDefinition<any, any, any>;
  options: Record<string, unknown>;
}

const SEVERITY: Record<RunSummary['status'], number> = { success: 0, skipped: 0, partial: 1, failed: 2, interrupted: 3 };

/** The exit code of several runs: the worst of them. */
export function combinedExitCode(summaries: RunSummary[]): number {
  let worst: RunSummary | undefined;
  for (const s of summaries) if (!worst || SEVERITY[s.status] > SEVERITY[worst.status]) worst = s;
  return worst?.exit_code ?? ExitCode.ok;
}

/** Storage could not be opened: every run that did not happen is failed, and says why. */
class StorageUnavailable extends Error {
  constructor(
    readonly reason: unknown,
    readonly busyTooLong = false,
  ) {
    super(errorMessage(reason));
  }
}

/**
 * The embedded database was busy. Skipped is the right outcome once in a while;
 * busy for longer than OPS_BUSY_FAIL_SECONDS (as the skipped runs kept in
 * pending-runs tell) is a jam a person must see: a failed run, exit 1.
 */
async function busyTooLong(runtime: RuntimeConfig, err: BusyError, now: Date): Promise<OpsError | undefined> {
  const { readBusyHistory } = await import('../db/index.js');
  const history = readBusyHistory(runtime.dataDir);
  if (!history.since || now.getTime() - history.since.getTime() <= runtime.busyFailSeconds * 1000) return undefined;
  return new OpsError(
    `the embedded database has been busy since ${history.since.toISOString()} (${history.skipped} run(s) skipped, longer than OPS_BUSY_FAIL_SECONDS=${runtime.busyFailSeconds}): ${err.message}`,
  );
}

function failedRun(call: TaskCall, clock: Clock, error: string, exitCode: number): RunStart & RunEnd & { summary: RunSummary } {
  const at = clock();
  const runId = newRunId(at);
  const summary = instantSummary(runId, call.task.name, 'failed', exitCode, at, error);
  const lockKey = lockKeysOf(call.task, call.options)[0]!;
  return {
    runId,
    task: call.task.name,
    lockKey,
    startedAt: at,
    host: hostname(),
    pid: process.pid,
    args: {},
    status: 'failed',
    finishedAt: at,
    durationMs: 0,
    stats: {},
    error,
    failures: [],
    failureCount: 0,
    summary,
  };
}

/** A task turned off (its `enabled`, or <NAME>_ENABLED=false) is not run: said, exit 0, no task_logs row. */
function enabledCalls(calls: TaskCall[], env: Env, output: ReturnType<typeof createOutput>, json: boolean | undefined): TaskCall[] {
  return calls.filter(({ task }) => {
    if (isEnabled(task, env)) return true;
    const reason = `task "${task.name}" is disabled (${enabledVariable(task.name)}=true enables it): not run`;
    output.log.warn(reason);
    if (json) {
      // The run-summary contract: skipped, with the reason (no task_logs row: nothing ran, nothing was locked).
      const at = new Date().toISOString();
      output.printJson({
        run_id: newRunId(new Date()),
        task: task.name,
        status: 'skipped',
        exit_code: ExitCode.ok,
        started_at: at,
        finished_at: at,
        duration_ms: 0,
        stats: {},
        failures: [],
        failure_count: 0,
        error: reason,
        notes: [],
      });
    }
    return false;
  });
}

export async function runTasks(allCalls: TaskCall[], flags: GlobalFlags, env: Env = process.env): Promise<number> {
  const output = createOutput(flags);
  let calls: TaskCall[];
  try {
    calls = enabledCalls(allCalls, env, output, flags.json);
  } catch (err) {
    return reportError(output, err);
  }
  if (calls.length === 0) return ExitCode.ok;
  let store: RunStore | undefined;
  const scope = installSignalHandlers(output.log);
  const summaries: RunSummary[] = [];
  let clock: Clock = clockStartingAt(undefined);
  let runtime: RuntimeConfig | undefined;
  try {
    // Every setting of every task first: a bad one stops all before any work.
    const prepared = calls.map((call) => prepare(call.task, env));
    runtime = prepared[0]?.runtime;
    clock = clockStartingAt(runtime?.now);
    for (const [i, call] of calls.entries()) if (call.task.outputs) checkOutputDir(prepared[i].runtime.outputDir);
    const deps = {
      output,
      scope,
      clock,
      env,
      store: async (runtime: RuntimeConfig) => {
        if (!store) {
          const { openRunStore } = await import('../db/index.js');
          try {
            store = await openRunStore(runtime, output.log, scope.signal);
          } catch (err) {
            if (err instanceof BusyError) {
              // Real time: the skipped runs' files carry real times, whatever OPS_NOW says.
              const jammed = await busyTooLong(runtime, err, new Date());
              if (jammed) throw new StorageUnavailable(jammed, true);
              throw err; // the runner records skipped
            }
            if (scope.signal.aborted) throw err;
            throw new StorageUnavailable(err);
          }
        }
        return store;
      },
      recordSkippedElsewhere: async (runtime: RuntimeConfig, run: RunStart & RunEnd) => {
        const { writePendingRun } = await import('../db/index.js');
        writePendingRun(runtime.dataDir, run);
      },
    };
    for (const [i, call] of calls.entries()) {
      if (scope.signal.aborted) break;
      const summary = await runTask(call.task, call.options, prepared[i], deps);
      summaries.push(summary);
      if (!flags.json) output.print(formatSummary(summary, output.color));
    }
    if (flags.json) output.printJson(summaries.length === 1 ? summaries[0] : { runs: summaries, exit_code: combinedExitCode(summaries) });
    return combinedExitCode(summaries);
  } catch (err) {
    if (scope.signal.aborted) return scope.exitCode();
    if (!(err instanceof StorageUnavailable)) return reportError(output, err);
    const code = reportError(output, err.reason);
    // No task_logs row could be written; the summary is still printed, and a
    // run failed for a busy database is kept with the skipped ones.
    const failed = calls.slice(summaries.length).map((call) => failedRun(call, clock, redact(errorMessage(err.reason)), code));
    if (err.busyTooLong && runtime) {
      const { writePendingRun } = await import('../db/index.js');
      for (const { summary: _summary, ...run } of failed) {
        try {
          writePendingRun(runtime.dataDir, run);
        } catch (e) {
          output.log.warn('could not record the failed run', { reason: errorMessage(e) });
        }
      }
    }
    const all = [...summaries, ...failed.map((f) => f.summary)];
    if (flags.json) output.printJson(all.length === 1 ? all[0] : { runs: all, exit_code: combinedExitCode(all) });
    return combinedExitCode(all);
  } finally {
    await store?.close().catch(() => {});
    scope.dispose();
  }
}
