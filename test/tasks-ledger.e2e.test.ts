/**
 * `ops tasks` reads an event task's last job from the ledger (event_jobs). A
 * database from before the ledger (no such table) shows "no job yet"; any
 * other failure of that read fails the command (exit 1, saying so) instead of
 * passing for "never run". Both databases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { taskFolder } from './helpers/task-folder.js';

const PLAIN = `
import { defineTask } from 'ops';
export default defineTask({ name: 'team-plain', summary: 'a plain task', settings: {}, async run() { return { done: 1 }; } });
`;

for (const backend of backends) {
  describe(`ops tasks and the event-job ledger on ${backend.name}`, { skip: backend.skip }, () => {
    test('ledger present: the job; a ledger that cannot be read: exit 1 naming it; no ledger table: no job yet, every other row as before', async () => {
      const db = await backend.create();
      const { tasks } = taskFolder({ 'plain.mjs': PLAIN });
      const env = baseEnv({ ...db.env, OPS_TASKS_DIR: tasks });
      const ran = await runOps(['team-plain', '--json'], env);
      assert.equal(ran.code, 0, ran.stderr);
      const at = new Date('2026-11-20T10:00:00Z');
      await db.use((k) =>
        k
          .insertInto('event_jobs')
          .values({
            job_key: 'reconcile-event/42/production',
            task: 'reconcile-event',
            item_id: '42',
            environment: 'production',
            due_at: at,
            status: 'failed',
            attempts: 3,
            last_error: 'the partner said no',
            created_at: at,
            updated_at: at,
          } as any)
          .execute(),
      );
      const rowsOf = (json: any) => Object.fromEntries(json.tasks.map((t: any) => [t.name, t]));

      const present = await runOps(['tasks', '--json'], env);
      assert.equal(present.code, 0, present.stderr);
      assert.deepEqual(rowsOf(present.json)['reconcile-event'].last_run, {
        run_id: 'reconcile-event/42/production',
        status: 'failed',
        at: at.toISOString(),
        error: 'the partner said no',
      });

      // The table is there but the read fails (here a column it needs is gone): not "never run".
      await db.use((k) => sql`alter table event_jobs rename column last_error to last_error_gone`.execute(k));
      const broken = await runOps(['tasks', '--json'], env);
      assert.equal(broken.code, 1, broken.stderr);
      assert.equal(broken.stdout, '', 'no list is printed');
      const said = broken.logs.filter((l) => l.level === 'error').map((l) => l.msg);
      assert.deepEqual(said, ['cannot read the event-job ledger (event_jobs): column "last_error" does not exist'], broken.stderr);
      const brokenText = await runOps(['tasks'], env);
      assert.equal(brokenText.code, 1, brokenText.stderr);
      assert.doesNotMatch(brokenText.stdout, /reconcile-event/);

      // A database without the ledger table: event tasks have no job yet; the rest is unchanged.
      await db.use((k) => sql`drop table event_jobs`.execute(k));
      const missing = await runOps(['tasks', '--json'], env);
      assert.equal(missing.code, 0, missing.stderr);
      const rows = rowsOf(missing.json);
      assert.equal(rows['reconcile-event'].kind, 'event');
      assert.equal(rows['reconcile-event'].last_run, null);
      assert.equal(rows['team-plain'].last_run.status, 'success');
      assert.equal(rows['team-plain'].last_run.run_id, ran.json.run_id);
      assert.deepEqual(missing.json.errors, []);
    });
  });
}
