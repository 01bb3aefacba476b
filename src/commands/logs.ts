/** `ops logs`: recent runs from task_logs, with their failures. */
import { listRuns, type ListRunsFilter } from '../db/queries/task-logs.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { colorStatus, formatDuration, formatStats } from './summary.js';

export async function logsCommand(flags: GlobalFlags, filter: ListRunsFilter): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      const rows = await listRuns(db, filter);
      if (flags.json) {
        output.printJson(rows);
        return 0;
      }
      if (rows.length === 0) {
        output.print('No runs match.');
        return 0;
      }
      const c = output.color;
      for (const r of rows) {
        output.print(
          `${new Date(r.started_at).toISOString()}  ${r.task.padEnd(14)} ${colorStatus(c, r.status.padEnd(11))} ${formatDuration(r.duration_ms).padStart(7)}  ${c.gray(r.run_id)}  ${formatStats(r.stats)}`,
        );
        if (r.error) output.print(`    ${c.red(r.error)}`);
        for (const f of r.failures.slice(0, 5)) output.print(`    - ${f.item}: ${f.reason}`);
        if (r.failure_count > 5) output.print(c.gray(`    … ${r.failure_count - 5} more (--json shows ${r.failures.length})`));
      }
      return 0;
    },
    { readOnly: true },
  );
}
