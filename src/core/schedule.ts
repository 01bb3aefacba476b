/**
 * Schedules: a task's default cron expression and time zone, the settings
 * that override them (<TASK_NAME>_SCHEDULE, <TASK_NAME>_SCHEDULE_TZ, or one
 * OPS_SCHEDULE_TZ for every task), and the next run times. Parsing and
 * next-run arithmetic (time-zone aware, across DST) are cron-parser's.
 *
 * Only the classic 5-field form is accepted (minute hour day-of-month month
 * day-of-week, with numbers, names, `*`, ranges, steps and lists): it is what
 * system cron, Kubernetes and, translated, EventBridge all understand. Seconds,
 * `L`, `W`, `#`, `?` and macros are refused, because not every scheduler has them.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { readSettings, settings, type Env } from './config.js';
import type { TaskSchedule } from './task.js';

export const DEFAULT_TIME_ZONE = 'UTC';

const NAMES = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)\b/g;

/** The five fields, checked; throws an Error saying what was expected. */
export function parseCron(expression: string, timeZone = DEFAULT_TIME_ZONE, currentDate?: Date): CronExpression {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected a 5-field cron expression (minute hour day-of-month month day-of-week), got ${fields.length} field(s)`);
  fields.forEach((field, i) => {
    const bare = field.toLowerCase().replace(NAMES, '0');
    // Names only in month (3) and day-of-week (4); nothing but digits and * , / - otherwise.
    if (!/^[\d*,/-]+$/.test(bare) || (bare !== field.toLowerCase() && i < 3)) {
      throw new Error(`expected numbers, names, *, ranges (a-b), steps (/n) and lists (a,b) in each field; "${field}" is not one`);
    }
  });
  try {
    return CronExpressionParser.parse(fields.join(' '), { tz: timeZone, ...(currentDate ? { currentDate } : {}) });
  } catch (err) {
    throw new Error(`expected a valid cron expression: ${(err as Error).message}`);
  }
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** nightly-export → NIGHTLY_EXPORT (the prefix of a task's own settings). */
export function settingPrefix(task: string): string {
  return task.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

function cronSetting(name: string, description: string, fallback: string) {
  return settings.string(name, description, {
    default: fallback,
    example: '"0 2 * * *"',
    parse(raw: string) {
      parseCron(raw);
      return raw.trim().split(/\s+/).join(' ');
    },
  });
}

function zoneSetting(name: string, description: string) {
  return settings.string(name, description, {
    example: 'Europe/Berlin',
    parse(raw: string) {
      if (!isTimeZone(raw.trim())) throw new Error('expected an IANA time zone (UTC, America/New_York, Europe/Berlin)');
      return raw.trim();
    },
  });
}

/** The settings that override one task's schedule. */
export function scheduleSettings(task: string, schedule: TaskSchedule) {
  const prefix = settingPrefix(task);
  return {
    cron: cronSetting(`${prefix}_SCHEDULE`, `when a scheduler starts ${task} (5-field cron)`, schedule.cron),
    timeZone: zoneSetting(`${prefix}_SCHEDULE_TZ`, `time zone of ${task}'s schedule (default OPS_SCHEDULE_TZ, then UTC)`),
    allTimeZone: zoneSetting('OPS_SCHEDULE_TZ', 'time zone of every schedule that sets none of its own'),
  };
}

export interface ResolvedSchedule {
  cron: string;
  timeZone: string;
  args: string[];
  /** Which setting changed it, if one did (for people). */
  overriddenBy: string[];
}

/** The schedule in force: the task's default, overridden by its settings; a malformed one is a ConfigError naming the variable. */
export function resolveSchedule(task: string, schedule: TaskSchedule, env: Env = process.env): ResolvedSchedule {
  const specs = scheduleSettings(task, schedule);
  const values = readSettings(specs, env);
  // A setting beats the task's default; the task's own setting beats the one for every task.
  const timeZone = values.timeZone ?? values.allTimeZone ?? schedule.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isTimeZone(timeZone)) throw new Error(`${task}: the default time zone "${timeZone}" is not an IANA time zone`);
  parseCron(schedule.cron); // a bad default is a bug, found by the tests
  const set = (name: string) => env[name] !== undefined && env[name]!.trim() !== '';
  const overriddenBy = [specs.cron.name, specs.timeZone.name, specs.allTimeZone.name].filter(set);
  return { cron: values.cron, timeZone, args: schedule.args ?? [], overriddenBy };
}

/** The next `count` start times after `from`, in the schedule's time zone (DST gaps and repeats as cron-parser resolves them). */
export function nextRuns(cron: string, timeZone: string, from: Date, count: number): Date[] {
  const expression = parseCron(cron, timeZone, from);
  return expression.take(count).map((d) => d.toDate());
}

/** The shortest gap between two consecutive starts over the next few, in seconds. */
export function shortestGapSeconds(cron: string, timeZone: string, from: Date): number {
  const runs = nextRuns(cron, timeZone, from, 50);
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i++) gap = Math.min(gap, (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
  return gap;
}
