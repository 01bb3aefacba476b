/**
 * `ops schedule` and `ops schedule export` as a scheduler's operator uses
 * them: the real binary, settings overriding schedules and time zones, next
 * runs across a DST change, a bad setting refused with exit 78, whether a run
 * holds a task's lock now (an advisory lock held from another connection on
 * Postgres), and the exported files read back by independent parsers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import awsCronParser from 'aws-cron-parser';
import { CronFileParser } from 'cron-parser';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { parseAllDocuments } from 'yaml';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

// The advisory lock class of ops' run locks (src/db/open.ts).
const LOCK_NAMESPACE = 0x6f7073;
// Saturday before Berlin's spring-forward night (2026-03-29, 02:00 → 03:00).
const NOW = '2026-03-28T12:00:00Z';

const validSchedule = new Ajv({ allErrors: true, validateFormats: false }).compile<any>(
  JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/schedule.schema.json', import.meta.url)), 'utf8')),
);
const assertValid = (json: unknown) => assert.ok(validSchedule(json), JSON.stringify(validSchedule.errors));

const byName = (rows: any[]) => Object.fromEntries(rows.map((r) => [r.name, r]));
const instants = (isos: string[]) => isos.map((iso) => new Date(iso).toISOString());

for (const backend of backends) {
  describe(`ops schedule on ${backend.name}`, { skip: backend.skip }, () => {
    test('every scheduled task with its cron, time zone and next runs across DST; settings override them; no run holds a lock', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_NOW: NOW, OPS_SCHEDULE_TZ: 'Europe/Berlin', DAILY_TASKS_SCHEDULE_TZ: 'UTC', SYNC_EVENT_SCHEDULE: '*/2 * * * *' });
      const result = await runOps(['schedule', '--json', '--count', '3'], env);
      assert.equal(result.code, 0, result.stderr);
      assertValid(result.json);
      const rows = byName(result.json);
      for (const name of ['sync-and-run', 'discover-events', 'sync-event', 'process-tracking', 'daily-tasks']) assert.ok(rows[name], name);
      // 06:00 and 18:00 in Berlin: 05:00Z / 17:00Z before the change, 04:00Z / 16:00Z after.
      assert.equal(rows['discover-events'].time_zone, 'Europe/Berlin');
      assert.deepEqual(instants(rows['discover-events'].next_runs), ['2026-03-28T17:00:00.000Z', '2026-03-29T04:00:00.000Z', '2026-03-29T16:00:00.000Z']);
      assert.match(rows['discover-events'].next_runs[1], /\+02:00$/, 'shown in its own time zone');
      assert.deepEqual(rows['discover-events'].overridden_by, ['OPS_SCHEDULE_TZ']);
      assert.equal(rows['daily-tasks'].time_zone, 'UTC');
      assert.equal(rows['daily-tasks'].command, 'ops daily-tasks --auto-update');
      assert.deepEqual(instants(rows['daily-tasks'].next_runs), ['2026-03-29T02:00:00.000Z', '2026-03-30T02:00:00.000Z', '2026-03-31T02:00:00.000Z']);
      assert.equal(rows['sync-event'].cron, '*/2 * * * *');
      assert.deepEqual(instants(rows['sync-event'].next_runs), ['2026-03-28T12:02:00.000Z', '2026-03-28T12:04:00.000Z', '2026-03-28T12:06:00.000Z']);
      assert.equal(rows['process-tracking'].cron, '*/5 * * * *');
      assert.deepEqual(rows['sync-and-run'].lock_keys, ['sync-centers', 'run-batch']);
      for (const row of result.json) assert.equal(row.running, false, row.name);

      const text = await runOps(['schedule'], env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /discover-events\s+0 6,18 \* \* \*\s+Europe\/Berlin\s+idle\s+\(set by OPS_SCHEDULE_TZ\)/);
      assert.match(text.stdout, /next: 2026-03-28 18:00 \+01:00 · 2026-03-29 06:00 \+02:00/);
    });

    test('a malformed schedule or time zone setting: exit 78 naming the variable, nothing printed on stdout', async () => {
      const db = await backend.create();
      for (const [variable, value] of [
        ['SYNC_EVENT_SCHEDULE', '* * *'],
        ['PROCESS_TRACKING_SCHEDULE', '*/5 * * * * *'],
        ['DAILY_TASKS_SCHEDULE_TZ', 'Europe/Atlantis'],
        ['OPS_SCHEDULE_TZ', 'GMT+25'],
      ]) {
        for (const args of [['schedule'], ['schedule', 'export', '--format', 'k8s']]) {
          const result = await runOps(args, baseEnv({ ...db.env, [variable!]: value }));
          assert.equal(result.code, 78, `${variable}=${value} ops ${args.join(' ')}: ${result.stderr}`);
          assert.equal(result.stdout, '');
          assert.ok(
            result.logs.some((l) => l.variable === variable && String(l.msg).includes(variable!)),
            result.stderr,
          );
        }
      }
    });
  });
}

const postgres = backends.find((b) => b.name === 'postgres')!;
describe('ops schedule: a run holding its lock (Postgres)', { skip: postgres.skip }, () => {
  test('a task whose advisory lock another session holds is shown running; a slot of sync-event counts; the rest idle', async () => {
    const db = await postgres.create();
    const { default: pg } = await import('pg');
    const holder = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await holder.connect();
    try {
      for (const key of ['process-tracking', 'sync-event#2', 'run-batch']) {
        await holder.query('select pg_advisory_lock($1::int, hashtext($2))', [LOCK_NAMESPACE, key]);
      }
      const result = await runOps(['schedule', '--json'], baseEnv({ ...db.env, OPS_NOW: NOW }));
      assert.equal(result.code, 0, result.stderr);
      assertValid(result.json);
      const running = Object.fromEntries(result.json.map((r: any) => [r.name, r.running]));
      const expected = { 'sync-and-run': true, 'discover-events': false, 'sync-event': true, 'process-tracking': true, 'daily-tasks': false };
      for (const [name, held] of Object.entries(expected)) assert.equal(running[name], held, name);
      await holder.query('select pg_advisory_unlock_all()');
      const after = await runOps(['schedule', '--json'], baseEnv({ ...db.env, OPS_NOW: NOW }));
      assert.ok(
        after.json.every((r: any) => r.running === false),
        after.stdout,
      );
    } finally {
      await holder.end();
    }
  });
});

const embedded = backends.find((b) => b.name === 'embedded')!;
describe('ops schedule: a run holding the embedded database', () => {
  test('another live process holds the folder: its live file says which task runs, the rest are idle', async () => {
    const db = await embedded.create();
    const dir = db.env.OPS_DATA_DIR!;
    // This test process stands for the running ops: a live pid on this host holds the folder's lock.
    const holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), token: 'test' };
    writeFileSync(join(dir, 'ops.lock'), JSON.stringify(holder));
    mkdirSync(join(dir, 'live'), { recursive: true });
    const live = {
      run_id: '20260328-115900-abcdef',
      task: 'process-tracking',
      pid: process.pid,
      host: hostname(),
      started_at: holder.started_at,
      updated_at: holder.started_at,
      done: 0,
    };
    writeFileSync(join(dir, 'live', `${live.run_id}.json`), JSON.stringify(live));
    const result = await runOps(['schedule', '--json'], baseEnv({ ...db.env, OPS_NOW: NOW, OPS_LOCK_WAIT_SECONDS: '0' }));
    assert.equal(result.code, 0, result.stderr);
    assertValid(result.json);
    const rows = byName(result.json);
    assert.equal(rows['process-tracking'].running, true);
    assert.equal(rows['process-tracking'].run_id, live.run_id);
    for (const name of ['sync-and-run', 'discover-events', 'sync-event', 'daily-tasks']) assert.equal(rows[name].running, false, name);
    assert.match(result.stderr, /live files/);
  });
});

describe('ops schedule export with overridden schedules', () => {
  const env = baseEnv({
    PROCESS_TRACKING_SCHEDULE: '0 9 * * 1-5',
    PROCESS_TRACKING_SCHEDULE_TZ: 'America/New_York',
    DISCOVER_EVENTS_SCHEDULE: '*/15 * * * 0,6',
    SYNC_AND_RUN_SCHEDULE: '0 0 1 * *',
  });

  test('EventBridge: the translated expressions (SUN = 1, ?), the time zone; aws-cron-parser reads them', async () => {
    const result = await runOps(['schedule', 'export', '--format', 'eventbridge'], env);
    assert.equal(result.code, 0, result.stderr);
    const schedules = byName(result.json.map((s: any) => ({ ...s, name: s.Name })));
    assert.equal(schedules['ops-process-tracking'].ScheduleExpression, 'cron(0 9 ? * 2-6 *)');
    assert.equal(schedules['ops-process-tracking'].ScheduleExpressionTimezone, 'America/New_York');
    assert.equal(schedules['ops-discover-events'].ScheduleExpression, 'cron(0/15 * ? * 1,7 *)');
    assert.equal(schedules['ops-sync-and-run'].ScheduleExpression, 'cron(0 0 1 * ? *)');
    for (const s of result.json) assert.ok(awsCronParser.next(awsCronParser.parse(s.ScheduleExpression.slice(5, -1)), new Date()), s.Name);
  });

  test('EventBridge: a schedule it cannot express (day-of-month and day-of-week both set) is exit 78 naming the setting', async () => {
    const result = await runOps(['schedule', 'export', '--format', 'eventbridge'], baseEnv({ SYNC_EVENT_SCHEDULE: '0 0 1 * 1' }));
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /SYNC_EVENT_SCHEDULE/);
    assert.equal(result.stdout, '');
  });

  test('Kubernetes: the schedule and its time zone, valid by the Kubernetes models', async () => {
    const result = await runOps(['schedule', 'export', '--format', 'k8s', '--image', 'ghcr.io/acme/ops:1.4'], env);
    assert.equal(result.code, 0, result.stderr);
    const jobs = byName(parseAllDocuments(result.stdout).map((d) => ({ ...d.toJS(), name: d.toJS().metadata.name })));
    const tracking = jobs['ops-process-tracking'];
    assert.equal(tracking.spec.schedule, '0 9 * * 1-5');
    assert.equal(tracking.spec.timeZone, 'America/New_York');
    // Weekdays only: the gap between two starts is at least a day, so the starting deadline is the cap.
    assert.equal(tracking.spec.startingDeadlineSeconds, 3600);
    assert.equal(jobs['ops-discover-events'].spec.startingDeadlineSeconds, 900);
    for (const job of Object.values(jobs) as any[]) {
      assert.doesNotThrow(() => new CronJob(job).validate(), job.metadata.name);
      assert.equal(job.spec.jobTemplate.spec.template.spec.containers[0].image, 'ghcr.io/acme/ops:1.4');
    }
  });

  test('crontab: CRON_TZ set before a line in another zone and back after it; cron-parser reads the file', async () => {
    const result = await runOps(['schedule', 'export', '--format', 'crontab'], env);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    const at = lines.findIndex((l) => l.includes('ops process-tracking'));
    assert.equal(lines[at - 1], 'CRON_TZ=America/New_York');
    assert.equal(lines[at + 1], 'CRON_TZ=UTC');
    assert.match(lines[at]!, /^0 9 \* \* 1-5 /);
    const dir = mkdtempSync(join(tmpdir(), 'ops-crontab-'));
    try {
      writeFileSync(join(dir, 'crontab'), result.stdout);
      const parsed = CronFileParser.parseFileSync(join(dir, 'crontab'));
      assert.deepEqual(parsed.errors, {});
      assert.equal(parsed.expressions.length, lines.filter((l) => /^[\d*]/.test(l)).length);
      assert.ok(parsed.expressions.length >= 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('help with examples; a missing or unknown export format is a usage error (64)', async () => {
  for (const args of [
    ['schedule', '--help'],
    ['schedule', 'export', '--help'],
  ]) {
    const result = await runOps(args, baseEnv());
    assert.equal(result.code, 0, args.join(' '));
    assert.match(result.stdout, /Example/);
  }
  for (const args of [
    ['schedule', 'export'],
    ['schedule', 'export', '--format', 'nomad'],
    ['schedule', '--count', '0'],
  ]) {
    const result = await runOps(args, baseEnv());
    assert.equal(result.code, 64, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
  }
});
