/**
 * Event-relative jobs: work due at a moment relative to each item's own time
 * (a day before it, two hours after it). `query` returns the items,
 * `eventTime(item)` their moment, `offset` how far after it (negative: before)
 * the job is due. `ops run-due` executes each job once per key
 * `<task>/<item id>/<environment>`, recorded in a ledger.
 */
import type { Setting, SettingsOf } from './config.js';
import type { TaskContext } from './task.js';

/** Milliseconds, or parts: `{ hours: -24 }` is a day before. */
export type DurationLike = number | { days?: number; hours?: number; minutes?: number; seconds?: number };

export function durationMs(value: DurationLike): number {
  if (typeof value === 'number') return value;
  return (((value.days ?? 0) * 24 + (value.hours ?? 0)) * 60 + (value.minutes ?? 0)) * 60_000 + (value.seconds ?? 0) * 1000;
}

/** What `execute` sees: the run's context (its db, settings, clock, signal) and the job. */
export interface EventJobContext<DB, Config> extends Omit<TaskContext<DB, Config>, 'runStep' | 'progress' | 'failures' | 'failureCount'> {
  job: { key: string; itemId: string; dueAt: Date; attempt: number; maxAttempts: number };
}

/** `execute` may say the job could not be done now (a budget is spent): retried on a later run, not counted as an attempt. */
export interface Deferred {
  deferred: string;
}

export interface EventTaskDefinition<DB = any, S extends Record<string, Setting<any>> = Record<string, Setting<any>>, Item = any> {
  kind: 'event';
  name: string;
  summary: string;
  description?: string;
  /** false: run-due leaves it alone; the setting <NAME>_ENABLED overrides it. Default true. */
  enabled?: boolean;
  settings: S;
  /** The items that may have a job due (a window around now is enough: the ledger keeps what was done). */
  query(ctx: Omit<EventJobContext<DB, SettingsOf<S>>, 'job'>): Promise<Item[]>;
  /** The item's id in the job key; `item.id` by default. */
  itemId?(item: Item): string | number;
  /** The item's moment; null: no job for it. */
  eventTime(item: Item): Date | null;
  /** When the job is due relative to eventTime: positive after, negative before. */
  offset: DurationLike;
  /** A job first seen more than this after its due time is recorded `misfired` and not run. */
  misfireGrace: DurationLike;
  /** Run a misfired job anyway (late is better than never for this task). */
  runLate?: boolean;
  /** Attempts before a job is recorded `failed` for good (default 3). */
  maxAttempts?: number;
  /** How long a process holds a job; past it a job left `running` by a dead process is retried (default 600 s). */
  leaseSeconds?: number;
  // biome-ignore lint/suspicious/noConfusingVoidType: an execute that returns nothing is the usual case
  execute(ctx: EventJobContext<DB, SettingsOf<S>>, item: Item): Promise<void | Deferred>;
}

export function defineEventTask<DB, S extends Record<string, Setting<any>>, Item>(
  definition: Omit<EventTaskDefinition<DB, S, Item>, 'kind' | 'settings'> & { settings?: S },
): EventTaskDefinition<DB, S, Item> {
  return { ...definition, settings: definition.settings ?? ({} as S), kind: 'event' };
}

export function isEventTask(value: unknown): value is EventTaskDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'event';
}

export function isDeferred(value: unknown): value is Deferred {
  return typeof value === 'object' && value !== null && typeof (value as Deferred).deferred === 'string';
}
