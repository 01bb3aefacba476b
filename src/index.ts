/**
 * The public surface of the `ops` package: what a team's own task module
 * imports (`import { defineTask, defineEventTask, settings } from 'ops'`).
 * Only the contract lives here; everything else is internal.
 */
export { defineTask, enabledVariable } from './core/task.js';
export type { HealthCheck, ItemFailure, RunStatus, Stats, TaskContext, TaskDefinition, TaskOption, TaskResult } from './core/task.js';
export { defineEventTask, durationMs } from './core/event-task.js';
export type { Deferred, DurationLike, EventJobContext, EventTaskDefinition } from './core/event-task.js';
export { settings } from './core/config.js';
export type { Setting, SettingsOf } from './core/config.js';
export { ConfigError, OpsError, UpstreamError, UsageError } from './core/errors.js';
export type { Clock } from './core/clock.js';
export type { Logger } from './core/log.js';
