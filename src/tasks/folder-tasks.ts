/**
 * Tasks a team adds without changing `ops`: every `.js`/`.mjs` module in the
 * folder OPS_TASKS_DIR whose default export is a `defineTask(...)` (or a
 * `defineEventTask(...)`, run by `ops run-due`). A module that fails to load,
 * or exports something else, is a load error naming its file; the others load.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../core/errors.js';
import { isEventTask, type EventTaskDefinition } from '../core/event-task.js';
import type { TaskDefinition } from '../core/task.js';

export interface FolderTask {
  file: string;
  task: TaskDefinition<any, any, any> | EventTaskDefinition;
}

export interface TaskLoadError {
  file: string;
  message: string;
}

const TASK_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Why a default export is not a task, or undefined when it is one. */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'its default export is not a task: export default defineTask({ name, summary, settings, run })';
  const t = value as Record<string, unknown>;
  if (typeof t.name !== 'string' || !TASK_NAME.test(t.name))
    return `its task name ${JSON.stringify(t.name)} is not a lower-case kebab-case name (e.g. "send-report")`;
  if (typeof t.summary !== 'string' || t.summary.trim() === '') return `task "${t.name}" has no summary`;
  if (t.settings !== undefined && (typeof t.settings !== 'object' || t.settings === null)) return `task "${t.name}": settings must be an object of settings`;
  if (isEventTask(value)) {
    for (const fn of ['query', 'eventTime', 'execute']) if (typeof t[fn] !== 'function') return `event task "${t.name}" has no ${fn}() function`;
    return undefined;
  }
  if (typeof t.run !== 'function') return `task "${t.name}" has no run() function`;
  for (const hook of ['setup', 'teardown']) if (t[hook] !== undefined && typeof t[hook] !== 'function') return `task "${t.name}": ${hook} must be a function`;
  return undefined;
}

export async function loadFolderTasks(dir: string): Promise<{ tasks: FolderTask[]; errors: TaskLoadError[] }> {
  const folder = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(folder)
      .filter((n) => /\.m?js$/.test(n))
      .sort();
  } catch (err) {
    return { tasks: [], errors: [{ file: folder, message: `OPS_TASKS_DIR cannot be read: ${errorMessage(err)}` }] };
  }
  const tasks: FolderTask[] = [];
  const errors: TaskLoadError[] = [];
  for (const name of names) {
    const file = join(folder, name);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      const problem = shapeProblem(mod.default);
      if (problem) errors.push({ file, message: problem });
      else {
        const task = mod.default as FolderTask['task'];
        tasks.push({ file, task: { ...task, settings: task.settings ?? {} } });
      }
    } catch (err) {
      errors.push({ file, message: `cannot be loaded: ${errorMessage(err)}` });
    }
  }
  return { tasks, errors };
}
