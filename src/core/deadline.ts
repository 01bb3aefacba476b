/**
 * Every run has an overall deadline: a setting named after its task, with a
 * default the task declares. Past it the run's signal aborts; a task that has
 * still not returned a grace period later is abandoned, so the process ends
 * all the same and the run is recorded failed.
 */
import { settings, type Setting } from './config.js';
import { OpsError } from './errors.js';
import type { Logger } from './log.js';
import type { TaskDefinition } from './task.js';

/** A task that declares no deadline gets this one. */
export const DEFAULT_DEADLINE_SECONDS = 3600;
/** How long a task may take to stop once its deadline aborted it, before the runner records the failure anyway. */
export const DEADLINE_GRACE_MS = 15_000;

/** The setting of a task's deadline, named after the task: nightly-export → NIGHTLY_EXPORT_DEADLINE_SECONDS. */
export function deadlineSetting(task: Pick<TaskDefinition, 'name' | 'deadlineSeconds'>): Setting<number> & { default: number } {
  const name = `${task.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_DEADLINE_SECONDS`;
  return settings.number(
    name,
    `longest a ${task.name} run may take; past it the run stops and is recorded failed`,
    { min: 1, max: 7 * 86_400 },
    {
      default: task.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
    },
  );
}

export interface Deadline {
  /** Aborts when the deadline passes, with the reason. */
  signal: AbortSignal;
  /** Resolves a grace period after the deadline: the task did not stop. */
  abandoned: Promise<'abandoned'>;
  clear(): void;
}

export function armDeadline(seconds: number, graceMs: number, log: Logger): Deadline {
  const controller = new AbortController();
  let abandon: (() => void) | undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    abandon = () => resolve('abandoned');
  });
  let graceTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    log.error('the run passed its deadline: stopping', { deadline_seconds: seconds });
    controller.abort(new OpsError(`passed its deadline of ${seconds} s`));
    graceTimer = setTimeout(() => abandon?.(), graceMs);
  }, seconds * 1000);
  return {
    signal: controller.signal,
    abandoned,
    clear() {
      clearTimeout(timer);
      clearTimeout(graceTimer);
    },
  };
}
