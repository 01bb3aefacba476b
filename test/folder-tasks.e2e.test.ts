/**
 * Tasks from OPS_TASKS_DIR end to end: the real `ops` binary loads a team's
 * modules, runs them through the same runner (task_logs, exit codes, signals),
 * runs teardown after a failure and after SIGTERM, keeps every other task
 * working when one module is broken, refuses a name that clashes with a
 * built-in, and honours <NAME>_ENABLED. Both databases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps, startOps, waitForOutput } from './helpers/ops.js';
import { taskFolder } from './helpers/task-folder.js';

// Each hook appends its name to HOOKS_FILE: the order of the lines is what ran.
const HOOKED = `
import { appendFileSync } from 'node:fs';
import { defineTask, settings } from 'ops';
const mark = (line) => appendFileSync(process.env.HOOKS_FILE, line + '\\n');
export default defineTask({
  name: 'team-report',
  summary: 'a report a team added',
  description: 'Counts to N, or fails, or waits for a signal.',
  settings: { mode: settings.string('TEAM_REPORT_MODE', 'count | fail | wait', { default: 'count' }) },
  options: { count: { type: 'number', description: 'how far', default: 3 } },
  setup() { mark('setup'); },
  teardown() { mark('teardown'); },
  async run(ctx, options) {
    mark('run');
    if (ctx.config.mode === 'fail') throw new Error('the report source is down');
    if (ctx.config.mode === 'wait') {
      ctx.log.info('waiting for a signal');
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return { counted: 0 };
    }
    return { counted: options.count };
  },
});
`;

const QUIET = `
import { defineTask } from 'ops';
export default defineTask({ name: 'quiet-task', summary: 'off unless switched on', enabled: false, settings: {}, async run() { return { ran: 1 }; } });
`;

function envFor(db: TestDatabase, tasks: string, hooks: string, extra: Record<string, string> = {}) {
  return baseEnv({ ...db.env, OPS_TASKS_DIR: tasks, HOOKS_FILE: hooks, ...extra });
}

const validSummary = new Ajv({ allErrors: true, validateFormats: false }).compile<any>(
  JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/run-summary.schema.json', import.meta.url)), 'utf8')),
);

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);

async function runsOf(db: TestDatabase, task: string) {
  return db.use((k) => k.selectFrom('task_logs').selectAll().where('task', '=', task).orderBy('started_at').execute());
}

for (const backend of backends) {
  describe(`tasks from OPS_TASKS_DIR on ${backend.name}`, { skip: backend.skip }, () => {
    test('a folder task runs through the runner (ops NAME and ops run NAME), with its options, and lands in task_logs', async () => {
      const db = await backend.create();
      const { dir, tasks } = taskFolder({ 'report.mjs': HOOKED });
      const hooks = join(dir, 'hooks.log');
      const first = await runOps(['team-report', '--count', '5', '--json'], envFor(db, tasks, hooks));
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.status, 'success');
      assert.ok(validSummary(first.json), JSON.stringify(validSummary.errors));
      assert.deepEqual(first.json.stats, { counted: 5 });
      const second = await runOps(['run', 'team-report', '--json'], envFor(db, tasks, hooks));
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.json.stats, { counted: 3 });
      assert.deepEqual(lines(hooks), ['setup', 'run', 'teardown', 'setup', 'run', 'teardown']);
      const rows = await runsOf(db, 'team-report');
      assert.deepEqual(
        rows.map((r) => [r.status, r.stats]),
        [
          ['success', { counted: 5 }],
          ['success', { counted: 3 }],
        ],
      );
      const bad = await runOps(['team-report', '--count', 'many'], envFor(db, tasks, hooks));
      assert.equal(bad.code, 64, bad.stderr);
      assert.match(bad.stderr, /--count expects a number/);
      const unknown = await runOps(['team-report', '--colour'], envFor(db, tasks, hooks));
      assert.equal(unknown.code, 64, unknown.stderr);
      // ops tasks: the added task, its description, enabled, and its last run.
      const list = await runOps(['tasks', '--json'], envFor(db, tasks, hooks));
      assert.equal(list.code, 0, list.stderr);
      const row = list.json.tasks.find((t: any) => t.name === 'team-report');
      assert.equal(row.description, 'Counts to N, or fails, or waits for a signal.');
      assert.equal(row.enabled, true);
      assert.equal(row.source, join(tasks, 'report.mjs'));
      assert.equal(row.last_run.status, 'success');
      assert.equal(row.last_run.run_id, second.json.run_id);
      assert.ok(list.json.tasks.some((t: any) => t.name === 'sync-centers' && t.source === 'built-in' && t.last_run === null));
      assert.ok(list.json.tasks.some((t: any) => t.name === 'reconcile-event' && t.kind === 'event'));
      assert.equal(list.json.tasks.find((t: any) => t.name === 'run-due').schedule, '* * * * *');
    });

    test('teardown runs after a failure: the run is failed (exit 1) with the reason', async () => {
      const db = await backend.create();
      const { dir, tasks } = taskFolder({ 'report.mjs': HOOKED });
      const hooks = join(dir, 'hooks.log');
      const r = await runOps(['team-report', '--json'], envFor(db, tasks, hooks, { TEAM_REPORT_MODE: 'fail' }));
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.json.status, 'failed');
      assert.match(r.json.error, /the report source is down/);
      assert.deepEqual(lines(hooks), ['setup', 'run', 'teardown']);
      const [row] = await runsOf(db, 'team-report');
      assert.equal(row.status, 'failed');
    });

    test('teardown runs after SIGTERM: the run is interrupted (exit 143)', async () => {
      const db = await backend.create();
      const { dir, tasks } = taskFolder({ 'report.mjs': HOOKED });
      const hooks = join(dir, 'hooks.log');
      const running = startOps(['team-report'], envFor(db, tasks, hooks, { TEAM_REPORT_MODE: 'wait' }));
      await waitForOutput(running, /waiting for a signal/);
      running.child.kill('SIGTERM');
      const r = await running.done;
      assert.equal(r.code, 143, r.stderr);
      assert.deepEqual(lines(hooks), ['setup', 'run', 'teardown']);
      const [row] = await runsOf(db, 'team-report');
      assert.equal(row.status, 'interrupted');
    });

    test('a broken module is an error naming its file; every other task still works; a clash with a built-in is refused', async () => {
      const db = await backend.create();
      const { dir, tasks } = taskFolder({
        'report.mjs': HOOKED,
        'broken.mjs': 'export default { name: "half-written",',
        'not-a-task.mjs': 'export default 42;',
        'clash.mjs': 'export default { name: "sync-centers", summary: "mine", settings: {}, async run() { return { mine: 1 }; } };',
      });
      const hooks = join(dir, 'hooks.log');
      const env = envFor(db, tasks, hooks);
      const r = await runOps(['team-report', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.status, 'success');
      assert.match(r.stderr, new RegExp(`${join(tasks, 'broken.mjs')}.*cannot be loaded`));
      const list = await runOps(['tasks', '--json'], env);
      assert.equal(list.code, 2, list.stderr);
      const errors = Object.fromEntries(list.json.errors.map((e: any) => [e.file, e.error]));
      assert.match(errors[join(tasks, 'broken.mjs')], /cannot be loaded/);
      assert.match(errors[join(tasks, 'not-a-task.mjs')], /default export is not a task/);
      assert.match(errors[join(tasks, 'clash.mjs')], /"sync-centers" clashes with the built-in/);
      assert.ok(list.json.tasks.some((t: any) => t.name === 'team-report'));
      assert.equal(list.json.tasks.filter((t: any) => t.name === 'sync-centers').length, 1);
      assert.equal(list.json.tasks.find((t: any) => t.name === 'sync-centers').source, 'built-in');
      // The built-in still answers to its name: its own settings are asked for, not the clashing module's run.
      const builtIn = await runOps(['sync-centers'], env);
      assert.equal(builtIn.code, 78, builtIn.stderr);
      assert.match(builtIn.stderr, /LOCATION_SLUG_API_URL/);
      // ops run NAME of a built-in command is that command, with its own flags.
      const viaRun = await runOps(['run', 'sync-centers', '--deactivate-missing'], env);
      assert.equal(viaRun.code, 78, viaRun.stderr);
      assert.match(viaRun.stderr, /LOCATION_SLUG_API_URL/);
    });

    test('enabled: false keeps a task from running until <NAME>_ENABLED=true; <NAME>_ENABLED=false turns one off', async () => {
      const db = await backend.create();
      const { dir, tasks } = taskFolder({ 'report.mjs': HOOKED, 'quiet.mjs': QUIET });
      const hooks = join(dir, 'hooks.log');
      const off = await runOps(['quiet-task'], envFor(db, tasks, hooks));
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stderr, /disabled \(QUIET_TASK_ENABLED=true enables it\)/);
      assert.equal((await runsOf(db, 'quiet-task')).length, 0);
      const on = await runOps(['quiet-task', '--json'], envFor(db, tasks, hooks, { QUIET_TASK_ENABLED: 'true' }));
      assert.equal(on.code, 0, on.stderr);
      assert.deepEqual(on.json.stats, { ran: 1 });
      const offByVar = await runOps(['team-report'], envFor(db, tasks, hooks, { TEAM_REPORT_ENABLED: 'false' }));
      assert.equal(offByVar.code, 0, offByVar.stderr);
      assert.equal((await runsOf(db, 'team-report')).length, 0);
      assert.deepEqual(lines(hooks), []);
      const list = await runOps(['tasks', '--json'], envFor(db, tasks, hooks, { TEAM_REPORT_ENABLED: 'false' }));
      const byName = Object.fromEntries(list.json.tasks.map((t: any) => [t.name, t]));
      assert.deepEqual([byName['quiet-task'].enabled, byName['quiet-task'].enabled_by], [false, 'its definition']);
      assert.deepEqual([byName['team-report'].enabled, byName['team-report'].enabled_by], [false, 'TEAM_REPORT_ENABLED']);
      assert.equal(byName['process-tracking'].schedule, '*/5 * * * *', 'a built-in default schedule');
      const moved = await runOps(
        ['tasks', '--json'],
        envFor(db, tasks, hooks, { PROCESS_TRACKING_SCHEDULE: '*/10 * * * *', OPS_SCHEDULE_TZ: 'Europe/Berlin' }),
      );
      assert.equal(moved.code, 0, moved.stderr);
      const movedByName = Object.fromEntries(moved.json.tasks.map((t: any) => [t.name, t]));
      assert.equal(movedByName['process-tracking'].schedule, '*/10 * * * * Europe/Berlin', 'the schedule as the settings make it');
      // A built-in task too: SYNC_CENTERS_ENABLED=false, and it is not run (no settings asked for, no row).
      const builtInOff = await runOps(['sync-centers', '--json'], envFor(db, tasks, hooks, { SYNC_CENTERS_ENABLED: 'false' }));
      assert.equal(builtInOff.code, 0, builtInOff.stderr);
      assert.equal(builtInOff.json.status, 'skipped');
      assert.ok(validSummary(builtInOff.json), JSON.stringify(validSummary.errors));
      assert.match(builtInOff.json.error, /disabled \(SYNC_CENTERS_ENABLED=true enables it\)/);
      assert.equal((await runsOf(db, 'sync-centers')).length, 0);
      const bad = await runOps(['team-report'], envFor(db, tasks, hooks, { TEAM_REPORT_ENABLED: 'sometimes' }));
      assert.equal(bad.code, 78, bad.stderr);
      assert.match(bad.stderr, /TEAM_REPORT_ENABLED/);
    });
  });
}
