/** `ops status`: the newest run of every task, and its last success. */
import { latestPerTask } from '../db/queries/task-logs.js';
import { taskLoaders } from '../tasks/registry.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { describeBusy, readBusyHistory } from '../db/busy-history.js';
import { showLiveRuns } from './live.js';
import { ago, colorStatus, formatDuration, formatStats } from './summary.js';

export async function statusCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db, kind }, runtime) => {
      const rows = await latestPerTask(db);
      const busy = kind === 'embedded' ? readBusyHistory(runtime.dataDir) : { skipped: 0 };
      if (busy.skipped > 0) output.log.warn(`${describeBusy(busy)} (recorded in task_logs by the next task run)`);
      // A task that never ran is shown too: a schedule that never fired leaves no other trace.
      const never = Object.keys(taskLoaders).filter((task) => !rows.some((r) => r.task === task));
      if (flags.json) {
        output.printJson([...rows, ...never.map((task) => ({ task, run_id: null, status: null, started_at: null, last_success: null }))]);
        return 0;
      }
      const c = output.color;
      for (const task of never) output.print(`${c.bold(task.padEnd(16))} ${c.gray('never run')}`);
      if (rows.length === 0) output.print(c.gray('No runs recorded yet. Try: ops demo'));
      for (const r of rows) {
        output.print(
          `${c.bold(r.task.padEnd(16))} ${colorStatus(c, r.status.padEnd(11))} ${ago(r.started_at).padEnd(9)} ${formatDuration(r.duration_ms).padStart(7)}  ` +
            `${c.gray(`last success ${ago(r.last_success)}`)}  ${formatStats(r.stats)}${r.error ? c.red(`  ${r.error}`) : ''}`,
        );
      }
      return 0;
    },
    { readOnly: true, onBusy: (runtime, err) => showLiveRuns(output, flags.json, runtime, err) },
  );
}
