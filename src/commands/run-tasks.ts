/**
 * Runs one task, or several in order (sync-and-run), through the runner:
 * every task's settings are validated before any of them starts, storage is
 * opened once, each task gets its own lock and task_logs row.
 */
import type { Env } from '../core/config.js';
import { clockFromEnv } from '../core/clock.js';
import { ExitCode } from '../core/errors.js';
import { prepare, runTask, type RunEnd, type RunStart, type RunStore, type RunSummary } from '../core/runner.js';
import { installSignalHandlers } from '../core/signals.js';
import type { RuntimeConfig, TaskDefinition } from '../core/task.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
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

export async function runTasks(calls: TaskCall[], flags: GlobalFlags, env: Env = process.env): Promise<number> {
  const output = createOutput(flags);
  let store: RunStore | undefined;
  const scope = installSignalHandlers(output.log);
  const summaries: RunSummary[] = [];
  try {
    // Every setting of every task first: a bad one stops all before any work.
    const prepared = calls.map((call) => prepare(call.task, env));
    const deps = {
      output,
      scope,
      clock: clockFromEnv(env.OPS_NOW),
      store: async (runtime: RuntimeConfig) => {
        if (!store) {
          const { openRunStore } = await import('../db/index.js');
          store = await openRunStore(runtime, output.log, scope.signal);
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
    return reportError(output, err);
  } finally {
    await store?.close().catch(() => {});
    scope.dispose();
  }
}
