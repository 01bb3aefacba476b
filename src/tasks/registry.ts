/**
 * Every task, by name, loaded on demand. `ops doctor` walks this list; a new
 * task is one file in src/tasks plus one line here and its command in cli.ts.
 * `allTasks` adds the tasks of OPS_TASKS_DIR (and the event tasks run-due runs).
 */
import type { EventTaskDefinition } from '../core/event-task.js';
import type { TaskDefinition } from '../core/task.js';
import type { TaskLoadError } from './folder-tasks.js';

export const taskLoaders: Record<string, () => Promise<TaskDefinition<any, any, any>>> = {
  'sync-centers': async () => (await import('./sync-centers.js')).syncCenters,
  'run-batch': async () => (await import('./run-batch.js')).runBatch,
  'discover-events': async () => (await import('./discover-events.js')).discoverEvents,
  'sync-event': async () => (await import('./sync-event.js')).syncEvent,
  'track-ingest': async () => (await import('./track-ingest.js')).trackIngest,
  'process-tracking': async () => (await import('./process-tracking.js')).processTracking,
  'tracking-replay': async () => (await import('./tracking-replay.js')).trackingReplay,
  'airtable-sync': async () => (await import('./airtable-sync.js')).airtableSync,
  'crawler-check': async () => (await import('./crawler-check.js')).crawlerCheck,
  'zero-sessions': async () => (await import('./zero-sessions.js')).zeroSessions,
  catalogue: async () => (await import('./catalogue.js')).catalogue,
  'daily-tasks': async () => (await import('./daily-tasks.js')).dailyTasks,
  'run-due': async () => (await import('./run-due.js')).runDue,
};

/** Event tasks built in: run by `ops run-due`, never on their own. */
export const eventTaskLoaders: Record<string, () => Promise<EventTaskDefinition>> = {
  'reconcile-event': async () => (await import('./reconcile-event.js')).reconcileEvent,
};

/** Names a task from OPS_TASKS_DIR may not take: the built-in tasks and every other command. */
export const reservedNames = new Set([...Object.keys(taskLoaders), ...Object.keys(eventTaskLoaders), 'sync-and-run', 'run', 'tasks', 'schedule', 'help']);

export interface TaskEntry<T> {
  task: T;
  /** 'built-in', or the module's file. */
  source: string;
}

export interface AllTasks {
  tasks: TaskEntry<TaskDefinition<any, any, any>>[];
  eventTasks: TaskEntry<EventTaskDefinition>[];
  errors: TaskLoadError[];
}

/** Built-in tasks, then those of OPS_TASKS_DIR (when set); a module that fails or clashes is an error naming its file. */
export async function allTasks(
  env: Readonly<Record<string, string | undefined>> = process.env,
  commandNames: Iterable<string> = [],
  /** eventOnly: leave the built-in tasks unloaded (run-due every minute needs none of their modules). */
  options: { eventOnly?: boolean } = {},
): Promise<AllTasks> {
  const result: AllTasks = { tasks: [], eventTasks: [], errors: [] };
  if (!options.eventOnly) for (const load of Object.values(taskLoaders)) result.tasks.push({ task: await load(), source: 'built-in' });
  for (const load of Object.values(eventTaskLoaders)) result.eventTasks.push({ task: await load(), source: 'built-in' });
  const dir = env.OPS_TASKS_DIR?.trim();
  if (!dir) return result;
  const { loadFolderTasks } = await import('./folder-tasks.js');
  const { isEventTask } = await import('../core/event-task.js');
  const loaded = await loadFolderTasks(dir);
  result.errors.push(...loaded.errors);
  const reserved = new Set([...reservedNames, ...commandNames]);
  const taken = new Map<string, string>();
  for (const { file, task } of loaded.tasks) {
    if (reserved.has(task.name)) {
      result.errors.push({ file, message: `task "${task.name}" clashes with the built-in command of that name: refused (rename it)` });
    } else if (taken.has(task.name)) {
      result.errors.push({ file, message: `task "${task.name}" is already defined by ${taken.get(task.name)}: refused (rename it)` });
    } else {
      taken.set(task.name, file);
      if (isEventTask(task)) result.eventTasks.push({ task, source: file });
      else result.tasks.push({ task: task as TaskDefinition, source: file });
    }
  }
  return result;
}
