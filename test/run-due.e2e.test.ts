/**
 * ops run-due end to end: event tasks of a team's folder, their jobs executed
 * once per key `<task>/<item id>/<environment>` through the event_jobs
 * ledger — with two processes at once (Postgres), after a process killed
 * mid-job, past the misfire grace, in development mode, and as a plan that
 * runs nothing. Both databases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backends, type TestDatabase } from './helpers/db.js';
import { executions, REMIND, REMIND_LATE } from './helpers/event-tasks.js';
import { baseEnv, runOps, startOps, waitForOutput } from './helpers/ops.js';
import { taskFolder } from './helpers/task-folder.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

interface Item {
  id: string;
  at: string;
  mode: 'ok' | 'fail' | 'defer' | 'hang-first' | 'hang' | 'slow';
}

function setup(items: Item[], modules: Record<string, string> = { 'remind.mjs': REMIND }) {
  const { dir, tasks } = taskFolder(modules);
  const itemsFile = join(dir, 'items.json');
  writeFileSync(itemsFile, JSON.stringify(items));
  const exec = join(dir, 'exec.log');
  const env = (db: TestDatabase, when: Date = NOW, extra: Record<string, string> = {}) =>
    baseEnv({ ...db.env, OPS_TASKS_DIR: tasks, ITEMS_FILE: itemsFile, EXEC_FILE: exec, OPS_NOW: when.toISOString(), ...extra });
  return { env, exec };
}

async function ledger(db: TestDatabase) {
  const rows = await db.use((k) => k.selectFrom('event_jobs').selectAll().orderBy('job_key').execute());
  return Object.fromEntries(rows.map((r) => [r.job_key, r]));
}

for (const backend of backends) {
  describe(`run-due on ${backend.name}`, { skip: backend.skip }, () => {
    test('every due job runs once per key: a second run runs nothing again; a job not due yet waits; a failure is retried up to maxAttempts, its error kept', async () => {
      const db = await backend.create();
      const { env, exec } = setup([
        { id: 'due', at: at(-90 * MIN), mode: 'ok' },
        { id: 'edge', at: at(-HOUR), mode: 'ok' },
        { id: 'future', at: at(0), mode: 'ok' },
        { id: 'bad', at: at(-90 * MIN), mode: 'fail' },
      ]);
      const first = await runOps(['run-due', '--json'], env(db));
      assert.equal(first.code, 2, first.stderr);
      assert.equal(first.json.status, 'partial');
      assert.deepEqual(executions(exec).sort(), ['remind/bad/production 1', 'remind/due/production 1', 'remind/edge/production 1']);
      assert.match(first.json.failures[0].reason, /attempt 1 of 2 failed.*the mail server said no to bad/);
      let rows = await ledger(db);
      assert.equal(rows['remind/due/production'].status, 'done');
      assert.equal(rows['remind/bad/production'].status, 'retry');
      assert.equal(rows['remind/future/production'], undefined);

      const second = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + MIN)));
      assert.equal(second.code, 2, second.stderr);
      assert.deepEqual(executions(exec).slice(3), ['remind/bad/production 2']);
      rows = await ledger(db);
      assert.equal(rows['remind/bad/production'].status, 'failed');
      assert.equal(rows['remind/bad/production'].attempts, 2);
      assert.match(rows['remind/bad/production'].last_error ?? '', /said no to bad/);

      // An hour later the future one is due; nothing else runs again.
      const third = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + HOUR)));
      assert.equal(third.code, 0, third.stderr);
      assert.deepEqual(executions(exec).slice(4), ['remind/future/production 1']);
      const fourth = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + HOUR + MIN)));
      assert.equal(fourth.code, 0, fourth.stderr);
      assert.equal(fourth.json.stats.due, 0);
      assert.equal(executions(exec).length, 5);
    });

    test('a job first seen past its misfire grace is recorded misfired and not run, unless its task runs late', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'old', at: at(-5 * HOUR), mode: 'ok' }], { 'remind.mjs': REMIND, 'remind-late.mjs': REMIND_LATE });
      const r = await runOps(['run-due', '--json'], env(db));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.stats.misfired, 1);
      assert.deepEqual(executions(exec), ['remind-late/old/production 1']);
      const rows = await ledger(db);
      assert.equal(rows['remind/old/production'].status, 'misfired');
      assert.match(rows['remind/old/production'].last_error ?? '', /misfired: first seen 14\d{3} s after its due time/);
      assert.equal(rows['remind-late/old/production'].status, 'done');
      const again = await runOps(['run-due', '--json'], env(db));
      assert.equal(again.json.stats.misfired, 0);
      assert.equal(executions(exec).length, 1);
    });

    test('OPS_ENV=development runs a job due later at once, under its own key', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'future', at: at(3 * HOUR), mode: 'ok' }]);
      const prod = await runOps(['run-due', '--json'], env(db));
      assert.equal(prod.code, 0, prod.stderr);
      assert.deepEqual(executions(exec), []);
      const dev = await runOps(['run-due', '--json'], env(db, NOW, { OPS_ENV: 'development' }));
      assert.equal(dev.code, 0, dev.stderr);
      assert.deepEqual(executions(exec), ['remind/future/development 1']);
      assert.equal((await ledger(db))['remind/future/development'].status, 'done');
    });

    test('--plan shows what is due and when, and runs nothing, writes nothing', async () => {
      const db = await backend.create();
      const { env, exec } = setup([
        { id: 'due', at: at(-90 * MIN), mode: 'ok' },
        { id: 'future', at: at(0), mode: 'ok' },
        { id: 'old', at: at(-5 * HOUR), mode: 'ok' },
      ]);
      const plan = await runOps(['run-due', '--plan', '--json'], env(db));
      assert.equal(plan.code, 0, plan.stderr);
      const byKey = Object.fromEntries(plan.json.jobs.map((j: any) => [j.key, j]));
      assert.equal(byKey['remind/due/production'].decision, 'run');
      assert.equal(byKey['remind/due/production'].due_at, at(-30 * MIN));
      assert.equal(byKey['remind/future/production'].decision, 'later');
      assert.equal(byKey['remind/future/production'].due_at, at(HOUR));
      assert.equal(byKey['remind/old/production'].decision, 'misfire');
      assert.deepEqual(executions(exec), []);
      assert.deepEqual(await ledger(db), {});
      const off = await runOps(['run-due', '--plan', '--json'], env(db, NOW, { REMIND_ENABLED: 'false' }));
      assert.deepEqual(
        off.json.jobs.filter((j: any) => j.task === 'remind'),
        [],
      );
      const text = await runOps(['run-due', '--plan'], env(db));
      assert.match(text.stdout, /remind\/due\/production\s+due 2026-06-01T11:30:00.000Z\s+due: runs now/);
      assert.match(text.stdout, /remind\/future\/production\s+due 2026-06-01T13:00:00.000Z\s+later/);
    });

    test('a process killed mid-job: the job is held until its lease passes, then retried (attempt 2) by a later run', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'hang', at: at(-90 * MIN), mode: 'hang-first' }]);
      const running = startOps(['run-due'], env(db));
      await waitForOutput(running, /hanging/);
      running.child.kill('SIGKILL');
      await running.done;
      let rows = await ledger(db);
      assert.equal(rows['remind/hang/production'].status, 'running');
      assert.equal(rows['remind/hang/production'].attempts, 1);
      // Within its lease (60 s): another process leaves it alone.
      const held = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + 30_000)));
      assert.equal(held.code, 0, held.stderr);
      assert.equal(held.json.stats.held, 1);
      assert.deepEqual(executions(exec), []);
      const retried = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + 2 * MIN)));
      assert.equal(retried.code, 0, retried.stderr);
      assert.deepEqual(executions(exec), ['remind/hang/production 2']);
      rows = await ledger(db);
      assert.equal(rows['remind/hang/production'].status, 'done');
      assert.equal(rows['remind/hang/production'].attempts, 2);
    });

    test('a job whose process dies on every attempt is failed for good after maxAttempts, with the reason', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'doomed', at: at(-90 * MIN), mode: 'hang' }]);
      for (const [i, when] of [NOW, new Date(NOW.getTime() + 2 * MIN)].entries()) {
        const running = startOps(['run-due'], env(db, when));
        await waitForOutput(running, /hanging/);
        running.child.kill('SIGKILL');
        await running.done;
        const row = (await ledger(db))['remind/doomed/production'];
        assert.deepEqual([row.status, row.attempts], ['running', i + 1]);
      }
      const last = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + 4 * MIN)));
      assert.equal(last.code, 2, last.stderr);
      assert.match(last.json.failures[0].reason, /failed for good after 2 attempt/);
      const row = (await ledger(db))['remind/doomed/production'];
      assert.equal(row.status, 'failed');
      assert.match(row.last_error ?? '', /its process stopped during attempt 2 of 2/);
      assert.deepEqual(executions(exec), []);
      const after = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + 6 * MIN)));
      assert.equal(after.code, 0, after.stderr);
    });

    test('SIGTERM mid-job: the run is interrupted (exit 143), the job waits for a later run without losing an attempt', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'hang', at: at(-90 * MIN), mode: 'hang-first' }]);
      const running = startOps(['run-due'], env(db));
      await waitForOutput(running, /hanging/);
      running.child.kill('SIGTERM');
      const stopped = await running.done;
      assert.equal(stopped.code, 143, stopped.stderr);
      const row = (await ledger(db))['remind/hang/production'];
      assert.deepEqual([row.status, row.attempts], ['retry', 0]);
      assert.match(row.last_error ?? '', /interrupted/);
      const run = await db.use((k) => k.selectFrom('task_logs').select('status').where('task', '=', 'run-due').executeTakeFirstOrThrow());
      assert.equal(run.status, 'interrupted');
      assert.deepEqual(executions(exec), []);
    });

    test('a deferred job is not counted as an attempt and runs again later', async () => {
      const db = await backend.create();
      const { env, exec } = setup([{ id: 'busy', at: at(-90 * MIN), mode: 'defer' }]);
      for (let i = 0; i < 3; i++) {
        const r = await runOps(['run-due', '--json'], env(db, new Date(NOW.getTime() + i * MIN)));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.stats.deferred, 1);
      }
      assert.equal(executions(exec).length, 3);
      const row = (await ledger(db))['remind/busy/production'];
      assert.equal(row.status, 'retry');
      assert.equal(row.attempts, 0);
      assert.match(row.last_error ?? '', /deferred: budget spent/);
    });

    test('two run-due processes at once never both run one job', {
      skip: backend.name === 'embedded' ? 'the embedded database admits one process at a time' : undefined,
    }, async () => {
      const db = await backend.create();
      const items: Item[] = Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, at: at(-90 * MIN), mode: 'slow' }));
      const { env, exec } = setup(items);
      const [a, b] = await Promise.all([runOps(['run-due', '--json'], env(db)), runOps(['run-due', '--json'], env(db))]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const ran = executions(exec);
      assert.equal(ran.length, 40, ran.join('\n'));
      assert.equal(new Set(ran).size, 40);
      assert.equal(a.json.stats.done + b.json.stats.done, 40);
      const rows = Object.values(await ledger(db));
      assert.equal(rows.length, 40);
      assert.ok(rows.every((r) => r.status === 'done' && r.attempts === 1));
    });
  });
}
