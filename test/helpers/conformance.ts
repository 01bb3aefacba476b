/**
 * What every task must do, checked the same way for each (after the Singer
 * SDK's tap tests): a rerun leaves the same rows; overlapping runs give one
 * run and the rest `skipped` with exit 0; SIGTERM records `interrupted` and
 * exits 143 within 10 s; a run killed outright is marked `interrupted` by the
 * next; a malformed setting stops everything with exit 78 naming it.
 * A new task adds one `conformance(…)` call.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, TestDatabase } from './db.js';
import { runOps, startOps, waitForOutput } from './ops.js';

export interface ConformanceSubject {
  /** The command, as typed after `ops`. */
  args: string[];
  /** The task name in task_logs. */
  task: string;
  /** A database ready for the task (earlier tasks run), and the environment to run it with. */
  setup(db: TestDatabase): Promise<NodeJS.ProcessEnv>;
  /** The rows a rerun must leave exactly as they were. */
  snapshot(db: TestDatabase): Promise<unknown>;
  /** Makes each item slow (simulator latency), so a run can be overlapped or interrupted. */
  slow(on: boolean): void;
  /** A log message after which the task is doing its items. */
  working: RegExp;
  /** A setting of this task and a malformed value for it. */
  badSetting: [name: string, value: string];
  /**
   * Runs that share the work through row leases (lock slots) all run when
   * started together; this checks that none of them did another's work.
   */
  sharedRuns?: (db: TestDatabase) => Promise<void>;
}

const runsOf = (db: TestDatabase, task: string) =>
  db.use((k) => k.selectFrom('task_logs').select(['run_id', 'status', 'error']).where('task', '=', task).orderBy('started_at').execute());

export function conformance(backend: Backend, subject: ConformanceSubject): void {
  describe(`${subject.task} conformance on ${backend.name}`, { skip: backend.skip }, () => {
    test('a rerun leaves the same rows', async () => {
      const db = await backend.create();
      const env = await subject.setup(db);
      const first = await runOps(subject.args, env);
      assert.equal(first.code, 0, first.stderr);
      const before = await subject.snapshot(db);
      const second = await runOps(subject.args, env);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(await subject.snapshot(db), before);
    });

    test('5 concurrent invocations: 1 runs, 4 are recorded skipped, all exit 0', async () => {
      const db = await backend.create();
      const env = { ...(await subject.setup(db)), OPS_LOCK_WAIT_SECONDS: '0.5' };
      subject.slow(true);
      try {
        const results = await Promise.all(Array.from({ length: 5 }, () => runOps([...subject.args, '--json'], env)));
        assert.deepEqual(
          results.map((r) => r.code),
          [0, 0, 0, 0, 0],
          results.map((r) => r.stderr).join('\n'),
        );
        if (subject.sharedRuns && backend.name === 'postgres') {
          assert.deepEqual(
            results.map((r) => r.json.status),
            ['success', 'success', 'success', 'success', 'success'],
          );
          await subject.sharedRuns(db);
          return;
        }
        assert.deepEqual(results.map((r) => r.json.status).sort(), ['skipped', 'skipped', 'skipped', 'skipped', 'success']);
        const skipped = results.filter((r) => r.json.status === 'skipped');
        assert.ok(
          skipped.every((r) => /another run holds the lock|in use by pid/.test(r.json.error)),
          'a skipped run says who holds the lock',
        );
      } finally {
        subject.slow(false);
      }
      // Opening the database records runs skipped while it was busy (embedded).
      await runOps(['status'], env);
      assert.deepEqual((await runsOf(db, subject.task)).map((r) => r.status).sort(), ['skipped', 'skipped', 'skipped', 'skipped', 'success']);
    });

    test('SIGTERM: interrupted, exit 143 within 10 s', async () => {
      const db = await backend.create();
      const env = await subject.setup(db);
      subject.slow(true);
      try {
        const running = startOps(subject.args, env);
        await waitForOutput(running, subject.working);
        await new Promise((r) => setTimeout(r, 500));
        const sent = Date.now();
        running.child.kill('SIGTERM');
        const result = await running.done;
        assert.equal(result.code, 143, result.stderr);
        assert.ok(Date.now() - sent <= 10_000);
      } finally {
        subject.slow(false);
      }
      assert.equal((await runsOf(db, subject.task)).at(-1)!.status, 'interrupted');
    });

    test('SIGKILL: the next run marks the dead run interrupted', async () => {
      const db = await backend.create();
      const env = await subject.setup(db);
      subject.slow(true);
      const running = startOps(subject.args, env);
      try {
        await waitForOutput(running, subject.working);
        running.child.kill('SIGKILL');
        await running.done;
      } finally {
        subject.slow(false);
      }
      const next = await runOps([...subject.args, '--json'], env);
      assert.equal(next.code, 0, next.stderr);
      const runs = await runsOf(db, subject.task);
      assert.equal(runs[0].status, 'interrupted');
      assert.match(runs[0].error ?? '', new RegExp(`found by run ${next.json.run_id}`));
    });

    test('a malformed setting: exit 78 naming it, nothing recorded', async () => {
      const db = await backend.create();
      const env = await subject.setup(db);
      const [name, value] = subject.badSetting;
      const result = await runOps(subject.args, { ...env, [name]: value });
      assert.equal(result.code, 78);
      assert.equal(result.logs.find((l) => l.level === 'error')?.variable, name);
      assert.deepEqual(await runsOf(db, subject.task), []);
    });
  });
}
