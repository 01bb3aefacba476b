/**
 * A 5-field cron expression as an EventBridge Scheduler `cron(…)` expression.
 * EventBridge has six fields (minutes hours day-of-month month day-of-week
 * year), requires `?` in exactly one of day-of-month and day-of-week, numbers
 * the days of the week 1-7 = SUN-SAT (cron: 0-6, and 7, = SUN-SAT), and
 * starts steps from a value (`0/5`, not `*\/5`).
 *
 * Cron runs a job whose day-of-month AND day-of-week are both restricted on
 * either day (an OR); EventBridge cannot say that, so such an expression is
 * refused rather than translated into something that runs on other days.
 */
import { parseCron } from './schedule.js';

/** 1,2,3,5 → "1-3,5": runs of three or more become ranges. */
function compact(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** One of minutes, hours, day-of-month, month: `*` and `*\/n` kept (as `first/n`), anything else as the values it means. */
function field(text: string, values: readonly number[], first: number, size: number): string {
  if (text === '*' || values.length === size) return '*';
  const step = /^\*\/(\d+)$/.exec(text);
  if (step) return `${first}/${step[1]}`;
  return compact(values);
}

export function toEventBridgeCron(expression: string): string {
  const parsed = parseCron(expression);
  const [minuteText, hourText, domText, monthText, dowText] = expression.trim().split(/\s+/) as [string, string, string, string, string];
  const f = parsed.fields;
  const minute = field(minuteText, f.minute.values as number[], 0, 60);
  const hour = field(hourText, f.hour.values as number[], 0, 24);
  const month = field(monthText, f.month.values as number[], 1, 12);
  const dom = field(domText, f.dayOfMonth.values as number[], 1, 31);
  // cron-parser gives Sunday as 0 (7 too); EventBridge counts SUN=1 … SAT=7.
  const days = [...new Set((f.dayOfWeek.values as number[]).map((d) => (d % 7) + 1))];
  const dow = dowText === '*' || days.length === 7 ? '*' : compact(days);
  if (dom !== '*' && dow !== '*') {
    throw new Error(`"${expression}" restricts both day-of-month and day-of-week (cron runs it on either); EventBridge cannot express that: use two schedules`);
  }
  // `?` goes where there is no restriction; with neither restricted, day-of-week takes it.
  const [domOut, dowOut] = dow === '*' ? [dom, '?'] : ['?', dow];
  return `cron(${minute} ${hour} ${domOut} ${month} ${dowOut} *)`;
}
