/**
 * run-batch under hostile sizes and failures, end to end on both databases:
 * a database write that fails for one center, an answer with 10,000 events,
 * an event with a 1 MB venue, a center with a 1 MB city, bad LLM settings,
 * and temporary CSV files left by a dead process.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { QUIET_LLM } from '../src/sandbox/llm-sim.js';

const quietLlm = QUIET_LLM;

for (const backend of backends) {
  describe(`run-batch limits on ${backend.name}`, { skip: backend.skip }, () => {
    let sandbox: Sandbox;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) => baseEnv({ ...sandbox.env, ...db.env, ...extra });
    const centersOf = (db: TestDatabase, runId: string) =>
      db.use((k) => k.selectFrom('batch_run_centers').selectAll().where('run_id', '=', runId).orderBy('slug').execute());
    const batchRun = (db: TestDatabase, runId: string) =>
      db.use((k) => k.selectFrom('batch_runs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow());

    async function syncedDb(): Promise<TestDatabase> {
      const db = await backend.create();
      const sync = await runOps(['sync-centers'], env(db));
      assert.equal(sync.code, 0, sync.stderr);
      return db;
    }

    before(async () => {
      sandbox = await startSandbox({ centers: 12 });
    });
    after(async () => {
      await sandbox.close();
    });

    test('one center whose write fails: the others are stopped and waited for, nothing is left pending', async () => {
      sandbox.llm.setOptions({ ...quietLlm, latencyMs: 300 });
      const db = await syncedDb();
      const victim = await db.use(async (k) => {
        const first = await k
          .selectFrom('centers')
          .select('center_id')
          .where('is_active', '=', true)
          .orderBy('slug')
          .orderBy('center_id')
          .executeTakeFirstOrThrow();
        await sql
          .raw(
            `create function ops_test_fail() returns trigger language plpgsql as $$ begin
               if new.center_id = '${first.center_id}' then raise exception 'simulated disk failure for %', new.center_id; end if;
               return new; end $$`,
          )
          .execute(k);
        await sql`create trigger ops_test_fail before insert on discovered_events for each row execute function ops_test_fail()`.execute(k);
        return first.center_id;
      });
      const result = await runOps(['run-batch', '--json'], env(db, { BATCH_CONCURRENCY: '4' }));
      assert.equal(result.code, 1, result.stderr);
      const runId = result.logs.find((l) => l.msg === 'batch started')!.run_id;
      const run = await batchRun(db, runId);
      assert.equal(run.status, 'failed');
      assert.match(run.error_message ?? '', /simulated disk failure/);
      const rows = await centersOf(db, runId);
      assert.deepEqual(
        rows.filter((r) => r.status === 'pending').map((r) => r.slug),
        [],
        'no center is left pending',
      );
      const failed = rows.find((r) => r.center_id === victim)!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.error ?? '', /simulated disk failure/);
      assert.ok(
        rows.some((r) => r.status === 'skipped' && /stopped/.test(r.error ?? '')),
        'centers not run are skipped with the reason',
      );
      const recorded = rows.filter((r) => r.status === 'success');
      assert.equal(run.processed_centers, recorded.length + 1, 'the counters match the rows');
      const events = await db.use(async (k) => Number((await sql<{ n: number }>`select count(*)::int as n from discovered_events`.execute(k)).rows[0].n));
      assert.equal(
        events,
        recorded.reduce((n, r) => n + r.events_found, 0),
        'no event was written after the batch closed',
      );
    });

    test('an answer with 10,000 events: BATCH_MAX_EVENTS kept, the rest dropped with a reason', async () => {
      sandbox.llm.setOptions({ ...quietLlm, eventsPerLocation: 10_000 });
      const db = await syncedDb();
      const result = await runOps(['run-batch', '--limit', '2', '--json'], env(db, { BATCH_MAX_EVENTS: '200' }));
      sandbox.llm.setOptions({ eventsPerLocation: 6 });
      assert.equal(result.code, 0, result.stderr);
      for (const row of await centersOf(db, result.json.run_id)) {
        assert.equal(row.status, 'success');
        assert.equal(row.events_found, 200);
        assert.equal(row.events_dropped, 9800);
        assert.match(row.drop_reasons[0].reason, /BATCH_MAX_EVENTS \(200\)/);
        assert.equal(readFileSync(row.csv_path!, 'utf8').trim().split('\n').length, 201, 'header and 200 events');
      }
    });

    test('an event with a 1 MB venue is dropped with a reason; the run succeeds and the CSV stays small', async () => {
      sandbox.llm.setOptions({ ...quietLlm, hugeVenueChars: 1_000_000 });
      const db = await syncedDb();
      const result = await runOps(['run-batch', '--limit', '2', '--json'], env(db));
      sandbox.llm.setOptions({ hugeVenueChars: 0 });
      assert.equal(result.code, 0, result.stderr);
      for (const row of await centersOf(db, result.json.run_id)) {
        assert.equal(row.status, 'success');
        assert.equal(row.events_found, 6);
        assert.deepEqual(
          row.drop_reasons.map((d) => d.reason),
          ['venue is longer than 300 characters'],
        );
        assert.ok(statSync(row.csv_path!).size < 10_000);
      }
    });

    test('a center with a 1 MB city fails before any LLM call; the others run', async () => {
      sandbox.llm.setOptions({ ...quietLlm });
      const db = await syncedDb();
      const normal = await db.use(async (k) => {
        await k
          .insertInto('centers')
          .values({
            center_id: 'HUGE-1',
            center_name: 'Huge',
            slug: 'huge-city',
            zip_code: '1',
            city: 'c'.repeat(1_000_000),
            state: 'TX',
            country: 'USA',
            radius: 5,
            owner_email: null,
            location_data: '{}',
            is_active: true,
            content_hash: 'x',
          })
          .execute();
        return (
          await k.selectFrom('centers').select('slug').where('is_active', '=', true).where('slug', '!=', 'huge-city').orderBy('slug').executeTakeFirstOrThrow()
        ).slug;
      });
      sandbox.llm.resetStats();
      const result = await runOps(['run-batch', '--centers', `huge-city,${normal}`, '--json'], env(db));
      assert.equal(result.code, 2, result.stderr);
      assert.equal(sandbox.llm.stats().requests, 1, 'only the normal center was sent to the LLM');
      const rows = await centersOf(db, result.json.run_id);
      const huge = rows.find((r) => r.slug === 'huge-city')!;
      assert.equal(huge.status, 'failed');
      assert.match(huge.error ?? '', /the prompt is \d+ characters, more than the 32000 allowed/);
      assert.equal(huge.tokens_in, 0);
      assert.equal(rows.find((r) => r.slug === normal)!.status, 'success');
    });

    test('temporary CSV files of dead processes are swept by --resume and after a killed run; a live one is kept', async () => {
      sandbox.llm.setOptions({ ...quietLlm });
      const db = await syncedDb();
      const first = await runOps(['run-batch', '--limit', '1', '--json'], env(db));
      assert.equal(first.code, 0, first.stderr);
      const folder = (await batchRun(db, first.json.run_id)).output_dir!;
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
      const dead = join(folder, `austin.csv.tmp-${deadPid}`);
      const live = join(folder, `boston.csv.tmp-${process.pid}`);
      writeFileSync(dead, '');
      writeFileSync(live, '');
      const resumed = await runOps(['run-batch', '--resume', first.json.run_id, '--json'], env(db));
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.ok(!existsSync(dead), 'the dead process’s temp file is gone');
      assert.ok(existsSync(live), 'a live process’s temp file is left alone');

      // A run killed mid-write (left `running`): the next plain run sweeps its folder when it closes it.
      await db.use((k) => k.updateTable('batch_runs').set({ status: 'running' }).where('run_id', '=', first.json.run_id).execute());
      writeFileSync(dead, '');
      const next = await runOps(['run-batch', '--limit', '1', '--json'], env(db));
      assert.equal(next.code, 0, next.stderr);
      assert.ok(!existsSync(dead), 'the killed run’s temp file is gone');
      assert.ok(existsSync(live));
    });

    test('LLM_PRICES out of range and LLM_PROMPT_FILE=/dev/zero: exit 78 naming the variable, no LLM call', {
      skip: backend.name !== 'embedded' && 'settings do not depend on the database',
    }, async () => {
      const db = await syncedDb();
      sandbox.llm.resetStats();
      const prices = await runOps(['run-batch'], env(db, { LLM_PRICES: '{"gpt-4o-mini":[1e308,1]}' }));
      assert.equal(prices.code, 78, prices.stderr);
      assert.match(prices.stderr, /LLM_PRICES/);
      const prompt = await runOps(['run-batch'], env(db, { LLM_PROMPT_FILE: '/dev/zero' }));
      assert.equal(prompt.code, 78, prompt.stderr);
      assert.match(prompt.stderr, /LLM_PROMPT_FILE/);
      assert.equal(sandbox.llm.stats().requests, 0);
    });
  });
}
