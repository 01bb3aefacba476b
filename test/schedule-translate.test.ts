/**
 * Cron expressions: our parsing and next runs (checked against croner, an
 * independent implementation, across DST changes) and the translation into
 * EventBridge's six fields, checked with aws-cron-parser: every default
 * schedule and extra ones with ranges, steps, lists, names and day-of-week
 * numbering, the next 300 starts of the translation equal to the original's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import awsCronParser from 'aws-cron-parser';
import { Cron } from 'croner';
import { CronExpressionParser } from 'cron-parser';
import { toEventBridgeCron } from '../src/core/eventbridge-cron.js';
import { nextRuns, parseCron, resolveSchedule } from '../src/core/schedule.js';
import { ConfigError } from '../src/core/errors.js';

const DEFAULTS = ['0 2 * * *', '0 6,18 * * *', '* * * * *', '*/5 * * * *'];
const EXTRA = [
  '0 9 * * 1-5',
  '*/15 * * * 0,6',
  '0 0 1 * *',
  '30 4 1,15 * *',
  '0 22 * * 5-7',
  '0 0 * * 7',
  '0 12 * jan-mar mon',
  '5-20/5 8-18/3 * * *',
  '0 3 */2 * *',
  '15 10 * 6-8 sun,sat',
  '0 0 * * 0-6',
  '59 23 31 12 *',
];

const EXPECTED: Record<string, string> = {
  '0 2 * * *': 'cron(0 2 * * ? *)',
  '0 6,18 * * *': 'cron(0 6,18 * * ? *)',
  '* * * * *': 'cron(* * * * ? *)',
  '*/5 * * * *': 'cron(0/5 * * * ? *)',
  '0 9 * * 1-5': 'cron(0 9 ? * 2-6 *)',
  '*/15 * * * 0,6': 'cron(0/15 * ? * 1,7 *)',
  '0 0 1 * *': 'cron(0 0 1 * ? *)',
  '0 22 * * 5-7': 'cron(0 22 ? * 1,6,7 *)',
  '0 0 * * 7': 'cron(0 0 ? * 1 *)',
  '0 12 * jan-mar mon': 'cron(0 12 ? 1-3 2 *)',
  '15 10 * 6-8 sun,sat': 'cron(15 10 ? 6-8 1,7 *)',
  '0 0 * * 0-6': 'cron(0 0 * * ? *)',
};

function inner(expression: string): string {
  const m = /^cron\((.*)\)$/.exec(expression);
  assert.ok(m, expression);
  return m[1]!;
}

test('EventBridge: the expected six fields for the default schedules and the day-of-week numbering (SUN = 1)', () => {
  for (const [cron, expected] of Object.entries(EXPECTED)) assert.equal(toEventBridgeCron(cron), expected, cron);
});

test('EventBridge: every translation follows the ? rules and starts when the cron expression does (aws-cron-parser)', () => {
  for (const cron of [...DEFAULTS, ...EXTRA]) {
    const fields = inner(toEventBridgeCron(cron)).split(' ');
    assert.equal(fields.length, 6, cron);
    // Exactly one of day-of-month and day-of-week is `?`; the year is open.
    assert.equal([fields[2], fields[4]].filter((f) => f === '?').length, 1, `${cron}: one ? in ${fields.join(' ')}`);
    assert.equal(fields[5], '*');
    assert.ok(
      fields.every((f) => !f.startsWith('*/')),
      `${cron}: EventBridge steps start from a value`,
    );
    const aws = awsCronParser.parse(fields.join(' '));
    const ours = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date('2026-01-01T00:00:00Z') });
    let at = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 300; i++) {
      const want = ours.next().toDate();
      if (want.getUTCFullYear() > 2190) break; // aws-cron-parser's years end at 2199
      const got = awsCronParser.next(aws, at);
      assert.ok(got, `${cron}: aws-cron-parser found no next start after ${at.toISOString()}`);
      assert.equal(got.toISOString(), want.toISOString(), `${cron}: start ${i}`);
      at = got;
    }
  }
});

test('EventBridge: an expression restricting both day-of-month and day-of-week (cron: either) is refused, not mistranslated', () => {
  assert.throws(() => toEventBridgeCron('0 0 1 * 1'), /both day-of-month and day-of-week/);
});

test('only the classic five fields are accepted', () => {
  for (const bad of ['0 0 * * * *', '0 0 *', '@daily', '0 0 L * *', '0 0 ? * 1', '0 0 * * 1#2', '61 * * * *', '0 0 * foo *', '0 jan * * *']) {
    assert.throws(() => parseCron(bad), /expected/, bad);
  }
  for (const good of [...DEFAULTS, ...EXTRA]) assert.doesNotThrow(() => parseCron(good), good);
});

test('next runs are time-zone aware across DST, and agree with croner', () => {
  const cases = [
    // Berlin springs forward on 2026-03-29: 09:00 local is 08:00Z, then 07:00Z.
    {
      cron: '0 9 * * *',
      zone: 'Europe/Berlin',
      from: '2026-03-27T00:00:00Z',
      want: ['2026-03-27T08:00:00.000Z', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z'],
    },
    // New York falls back on 2026-11-01: 06:00 local is 10:00Z, then 11:00Z.
    {
      cron: '0 6 * * *',
      zone: 'America/New_York',
      from: '2026-10-31T00:00:00Z',
      want: ['2026-10-31T10:00:00.000Z', '2026-11-01T11:00:00.000Z', '2026-11-02T11:00:00.000Z'],
    },
    {
      cron: '0 9 * * 1-5',
      zone: 'America/New_York',
      from: '2026-03-06T00:00:00Z',
      want: ['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z'],
    },
  ];
  for (const c of cases) {
    const ours = nextRuns(c.cron, c.zone, new Date(c.from), 3).map((d) => d.toISOString());
    assert.deepEqual(ours, c.want, `${c.cron} ${c.zone}`);
    const theirs = new Cron(c.cron, { timezone: c.zone }).nextRuns(3, new Date(c.from)).map((d) => d.toISOString());
    assert.deepEqual(ours, theirs, `${c.cron} ${c.zone}: croner`);
  }
  // A start inside the skipped hour (02:30 on the spring-forward night) runs once that day, not never.
  const spring = nextRuns('30 2 * * *', 'Europe/Berlin', new Date('2026-03-28T12:00:00Z'), 2).map((d) => d.toISOString().slice(0, 10));
  assert.deepEqual(spring, ['2026-03-29', '2026-03-30']);
});

test('settings override a schedule; a malformed one is a ConfigError naming the variable', () => {
  const def = { cron: '*/5 * * * *' };
  assert.deepEqual(resolveSchedule('process-tracking', def, {}), { cron: '*/5 * * * *', timeZone: 'UTC', args: [], overriddenBy: [] });
  const both = resolveSchedule('process-tracking', def, { PROCESS_TRACKING_SCHEDULE: ' 0  9 * * 1-5 ', OPS_SCHEDULE_TZ: 'Europe/Berlin' });
  assert.equal(both.cron, '0 9 * * 1-5');
  assert.equal(both.timeZone, 'Europe/Berlin');
  // The task's own time zone setting beats the one for every task.
  assert.equal(
    resolveSchedule('process-tracking', def, { OPS_SCHEDULE_TZ: 'Europe/Berlin', PROCESS_TRACKING_SCHEDULE_TZ: 'Asia/Tokyo' }).timeZone,
    'Asia/Tokyo',
  );
  for (const [variable, value] of [
    ['PROCESS_TRACKING_SCHEDULE', '0 25 * * *'],
    ['PROCESS_TRACKING_SCHEDULE', '@hourly'],
    ['PROCESS_TRACKING_SCHEDULE_TZ', 'Mars/Olympus'],
    ['OPS_SCHEDULE_TZ', 'CEST+2'],
  ] as const) {
    assert.throws(
      () => resolveSchedule('process-tracking', def, { [variable]: value }),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.includes(variable),
      `${variable}=${value}`,
    );
  }
});
