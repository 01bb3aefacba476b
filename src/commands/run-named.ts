/**
 * `ops run NAME [flags]` and `ops NAME` for a task without a command of its
 * own (a task from OPS_TASKS_DIR): found in the registry, its flags parsed from
 * its declared options, run through the same runner as every task.
 */
import { UsageError } from '../core/errors.js';
import { parseTaskFlags } from '../core/task-flags.js';
import { allTasks } from '../tasks/registry.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
import { runTasks } from './run-tasks.js';

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

export async function runNamedCommand(flags: GlobalFlags, name: string, args: string[], commandNames: string[]): Promise<number> {
  const output = createOutput(flags);
  try {
    const all = await allTasks(process.env, commandNames);
    for (const e of all.errors) output.log.warn(`task module ${e.file}: ${e.message}`, { file: e.file });
    const entry = all.tasks.find((t) => t.task.name === name);
    if (!entry) {
      if (all.eventTasks.some((t) => t.task.name === name))
        throw new UsageError(`"${name}" is an event task: ops run-due runs its jobs when they are due (ops run-due --plan)`);
      const names = [...all.tasks.map((t) => t.task.name), ...commandNames];
      const near = names.find((n) => editDistance(n, name) <= 2);
      const hint = near ? `; did you mean ${near}?` : all.errors.length > 0 ? '; some task modules failed to load, above' : '';
      throw new UsageError(`no task "${name}" (ops tasks lists them)${hint}`);
    }
    const options = parseTaskFlags(entry.task, args);
    return await runTasks([{ task: entry.task, options }], flags);
  } catch (err) {
    return reportError(output, err);
  }
}
