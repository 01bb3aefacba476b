/**
 * The task contract. A task declares its name, settings and options, and a
 * `run(ctx, options)` that does the work and returns its counts. Item-level
 * problems go through `ctx.failItem` (the run becomes partial); only a failure
 * of the whole run is thrown. Locks, the task_logs row, signals and the exit
 * code belong to the runner, never to the task.
 */
import type { Clock } from './clock.js';
import { ConfigError } from './errors.js';
import type { Setting, SettingsOf } from './config.js';
import type { Logger } from './log.js';
import type { Progress } from './output.js';
import type { RunSummary } from './run-record.js';
import type { runtimeSettings } from './runtime-settings.js';

export type Stats = Record<string, unknown>;

export interface ItemFailure {
  item: string;
  reason: string;
}

export type RunStatus = 'running' | 'success' | 'partial' | 'failed' | 'skipped' | 'interrupted';

export type RuntimeConfig = SettingsOf<typeof runtimeSettings>;

export interface TaskContext<DB, Config> {
  task: string;
  runId: string;
  db: DB;
  config: Config;
  runtime: RuntimeConfig;
  /** The environment the settings came from: for variables whose names are only known at run time. */
  env: Readonly<Record<string, string | undefined>>;
  log: Logger;
  progress: Progress;
  /** Fires on SIGTERM/SIGINT: stop between items, the runner records `interrupted`. */
  signal: AbortSignal;
  dryRun: boolean;
  now: Clock;
  /** Records an item that failed, with its reason; the run ends `partial`. */
  failItem(item: string, reason: string): void;
  readonly failures: readonly ItemFailure[];
  /** Exact count of failed items (the list above is capped). */
  readonly failureCount: number;
  /** Lines printed under the summary for a person (where the files are, …). */
  note(line: string): void;
  /**
   * Runs one of the task's `steps` as a run of its own, linked to this one
   * (parent_run_id); resolves with its outcome, whatever it is.
   */
  runStep(step: TaskDefinition<any, any, any>, options: Record<string, unknown>): Promise<RunSummary>;
}

export interface TaskResult {
  stats: Stats;
  /** Can make the run worse than its failed items imply (every item failed → failed), never better. */
  status?: 'success' | 'partial' | 'failed';
  /** Why, when status is failed. */
  error?: string;
}

/** When a scheduler should start the task: a 5-field cron expression, its time zone (UTC by default) and the arguments of that run. */
export interface TaskSchedule {
  cron: string;
  timeZone?: string;
  args?: string[];
}

/** A flag of a task that has no command of its own in cli.ts (a task from OPS_TASKS_DIR): `--kebab-name`. */
export interface TaskOption {
  description: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
}

export interface TaskDefinition<DB = any, S extends Record<string, Setting<any>> = Record<string, Setting<any>>, O = any> {
  name: string;
  summary: string;
  /** A longer text for `ops tasks` and `ops NAME --help`. */
  description?: string;
  /** false: not run by `ops NAME` nor by a scheduler; the setting <NAME>_ENABLED overrides it either way. Default true. */
  enabled?: boolean;
  /** Flags of a task from OPS_TASKS_DIR, by option name (camelCase; the flag is --kebab-case). */
  options?: Record<string, TaskOption>;
  settings: S;
  /** Runs before `run`, inside the run (lock held, task_logs row written). */
  setup?(ctx: TaskContext<DB, SettingsOf<S>>, options: O): Promise<void> | void;
  /** Runs after `run` whatever its end (success, failure, interruption), once setup has started. */
  teardown?(ctx: TaskContext<DB, SettingsOf<S>>, options: O): Promise<void> | void;
  /** Writes files under OPS_OUTPUT_DIR: the folder is checked (created, writable) before any work. */
  outputs?: boolean;
  /**
   * Default overall deadline of one run, in seconds (1 h when unset); the
   * setting <TASK_NAME>_DEADLINE_SECONDS overrides it. Past it the run is failed.
   */
  deadlineSeconds?: number;
  /** Tasks this one runs as its steps (ctx.runStep): their settings are checked with its own, a missing one only skips its step. */
  steps?: TaskDefinition<any, any, any>[];
  /**
   * The lock that keeps two runs from overlapping; the task name by default.
   * A list means slots: the run takes the first free one, so up to that many
   * runs go at once (a task whose runs share work through their own row leases).
   */
  lockKey?: (options: O) => string | string[];
  /** Default schedule (`ops schedule`, `ops schedule export`); <TASK_NAME>_SCHEDULE and _SCHEDULE_TZ override it. */
  schedule?: TaskSchedule;
  run(ctx: TaskContext<DB, SettingsOf<S>>, options: O): Promise<Stats | TaskResult>;
  /** Checks across settings (one needed only when another has some value); throws ConfigError. */
  validate?(config: SettingsOf<S>): void;
  /** Reachability checks of the outside systems this task uses, for `ops doctor`. */
  checks?(config: SettingsOf<S>): HealthCheck[];
}

export interface HealthCheck {
  name: string;
  /** Resolves with a short detail ("200 in 45ms") or throws with the reason. */
  run(signal: AbortSignal): Promise<string>;
}

export function defineTask<DB, S extends Record<string, Setting<any>>, O>(definition: TaskDefinition<DB, S, O>): TaskDefinition<DB, S, O> {
  return definition;
}

export function isTaskResult(value: Stats | TaskResult): value is TaskResult {
  return typeof value === 'object' && value !== null && 'stats' in value && typeof (value as TaskResult).stats === 'object';
}

/** The locks a run of `task` with these options may take, in order: its lockKey's slots, or its name. */
export function lockKeysOf<O>(task: Pick<TaskDefinition<any, any, O>, 'name' | 'lockKey'>, options: O): string[] {
  const keys = [task.lockKey?.(options) ?? task.name].flat();
  return keys.length > 0 ? keys : [task.name];
}

/** The setting that turns a task on or off without a code change: send-report → SEND_REPORT_ENABLED. */
export function enabledVariable(taskName: string): string {
  return `${taskName.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_ENABLED`;
}

/** Whether a task is enabled: <NAME>_ENABLED when set (true/false, 1/0, yes/no), else its own `enabled`, else true. */
export function isEnabled(task: { name: string; enabled?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  const variable = enabledVariable(task.name);
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return task.enabled ?? true;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(variable, `${variable}: expected true or false, found "${raw}"`);
}
