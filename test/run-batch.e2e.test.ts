/**
 * run-batch, sync-and-run and batch-status end to end: the real binary against
 * the location and LLM simulators, on the embedded database and on Postgres.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps, startOps, waitForOutput } from './helpers/ops.js';
import { QUIET_LLM } from '../src/sandbox/llm-sim.js';

// 27 seeded centers, every 10th inactive: 25 active, as in the old system.
const CENTERS = 27;
const ACTIVE = 25;

for (const backend of backends) {
  describe(`run-batch on ${backend.name}`, { skip: backend.skip }, () => {
    let sandbox: Sandbox;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) => baseEnv({ ...sandbox.env, ...db.env, ...extra });
    const quietLlm = QUIET_LLM;

    async function syncedDb(): Promise<TestDatabase> {
      const db = await backend.create();
      const sync = await runOps(['sync-centers'], env(db));
      assert.equal(sync.code, 0, sync.stderr);
      return db;
    }
    const count = (db: TestDatabase, table: 'discovered_events' | 'batch_runs') =>
      db.use(async (k) => Number((await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(k)).rows[0].n));
    const centersOf = (db: TestDatabase, runId: string) =>
      db.use((k) => k.selectFrom('batch_run_centers').selectAll().where('run_id', '=', runId).orderBy('slug').execute());
    const batchRun = (db: TestDatabase, runId: string) =>
      db.use((k) => k.selectFrom('batch_runs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow());

    before(async () => {
      sandbox = await startSandbox({ centers: CENTERS });
    });
    after(async () => {
      await sandbox.close();
    });

    test('every active center gets a CSV and a batch_run_centers row; a rerun adds no duplicate events', async () => {
      sandbox.llm.setOptions({ ...quietLlm, invalidEventRate: 0.1, fenceRate: 0.3 });
      const db = await syncedDb();
      const first = await runOps(['run-batch', '--json'], env(db));
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.status, 'success');
      assert.equal(first.json.stats.centers, ACTIVE);
      assert.ok(first.json.stats.events_dropped > 0, 'invalid events were dropped and counted');
      const run = await batchRun(db, first.json.run_id);
      assert.equal(run.status, 'completed');
      assert.deepEqual([run.total_centers, run.processed_centers, run.successful_centers, run.failed_centers], [ACTIVE, ACTIVE, ACTIVE, 0]);
      assert.ok(run.tokens_in > 0 && run.tokens_out > 0 && Number(run.estimated_cost) > 0);
      assert.match(run.prompt_version, /^[0-9a-f]{12}$/);
      assert.equal(run.model, 'gpt-4o-mini');
      const rows = await centersOf(db, first.json.run_id);
      assert.equal(rows.length, ACTIVE);
      assert.ok(rows.every((r) => r.status === 'success' && r.csv_path && existsSync(r.csv_path)));
      const folder = join(resolve(db.env.OPS_OUTPUT_DIR), 'events', first.json.run_id);
      assert.equal(readdirSync(folder).length, ACTIVE);
      const header = readFileSync(rows[0].csv_path!, 'utf8').split('\n')[0];
      assert.equal(header, 'center_id,center_name,name,date,start_time,end_time,venue,address,city,url,category,description');
      const events = await count(db, 'discovered_events');
      assert.equal(events, run.events_found);

      const second = await runOps(['run-batch', '--json'], env(db));
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.json.stats.events_new, 0);
      assert.equal(await count(db, 'discovered_events'), events, 'a rerun adds no duplicate events');
    });

    test('--resume touches only the centers that did not succeed', async () => {
      sandbox.llm.setOptions({ ...quietLlm, errorRate: 0.4 });
      const db = await syncedDb();
      const first = await runOps(['run-batch', '--json'], env(db, { LLM_ATTEMPTS: '1' }));
      assert.equal(first.code, 2, first.stderr);
      assert.equal(first.json.status, 'partial');
      const failed = (await centersOf(db, first.json.run_id)).filter((r) => r.status === 'failed');
      assert.ok(failed.length > 0 && failed.length < ACTIVE, `some failed (${failed.length})`);
      assert.ok(
        failed.every((r) => /500/.test(r.error ?? '') && r.csv_path && readFileSync(r.csv_path, 'utf8').trim().split('\n').length === 1),
        'a failed center has its reason and a header-only CSV',
      );

      sandbox.llm.setOptions({ ...quietLlm });
      sandbox.llm.resetStats();
      const resumed = await runOps(['run-batch', '--resume', first.json.run_id, '--json'], env(db));
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(sandbox.llm.stats().requests, failed.length, 'only the failed centers were asked again');
      const run = await batchRun(db, resumed.json.run_id);
      assert.equal(run.trigger, 'resume');
      assert.equal(run.resumed_from, first.json.run_id);
      assert.deepEqual(
        (await centersOf(db, resumed.json.run_id)).map((r) => r.slug),
        failed.map((r) => r.slug),
      );

      const unknown = await runOps(['run-batch', '--resume', 'no-such-run'], env(db));
      assert.equal(unknown.code, 64);
    });

    test('SIGTERM mid-batch: run interrupted, exit 143, the rest resumable', async () => {
      sandbox.llm.setOptions({ ...quietLlm, latencyMs: 800 });
      const db = await syncedDb();
      const running = startOps(['run-batch'], env(db, { BATCH_CONCURRENCY: '2' }));
      await waitForOutput(running, /"msg":"batch started"/);
      await new Promise((r) => setTimeout(r, 1600));
      const signalled = Date.now();
      running.child.kill('SIGTERM');
      const result = await running.done;
      assert.equal(result.code, 143, result.stderr);
      assert.ok(Date.now() - signalled <= 10_000);
      const runId = result.logs.find((l) => l.msg === 'batch started')!.run_id;
      const run = await batchRun(db, runId);
      assert.equal(run.status, 'interrupted');
      const rows = await centersOf(db, runId);
      const succeeded = rows.filter((r) => r.status === 'success').length;
      assert.ok(succeeded > 0 && succeeded < ACTIVE, `${succeeded} done before the stop`);
      assert.ok(
        rows.every((r) => r.status === 'success' || r.status === 'skipped'),
        'nothing is left pending',
      );
      assert.equal(run.processed_centers, succeeded, 'the counters were true when the run stopped');

      sandbox.llm.setOptions({ latencyMs: 0 });
      const resumed = await runOps(['run-batch', '--resume', runId, '--json'], env(db));
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.json.stats.centers, ACTIVE - succeeded);
    });

    test('provider outage: a fallback CSV for every center, the run failed, exit 1', async () => {
      sandbox.llm.setOptions({ ...quietLlm, outage: true });
      const db = await syncedDb();
      const result = await runOps(['run-batch', '--json'], env(db, { LLM_ATTEMPTS: '2' }));
      sandbox.llm.setOptions({ outage: false });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.json.status, 'failed');
      assert.equal(result.json.failure_count, ACTIVE);
      const run = await batchRun(db, result.json.run_id);
      assert.equal(run.status, 'failed');
      assert.ok(
        (await centersOf(db, result.json.run_id)).every((r) => r.attempts === 2),
        'each center tried LLM_ATTEMPTS times',
      );
      const folder = join(resolve(db.env.OPS_OUTPUT_DIR), 'events', result.json.run_id);
      const files = readdirSync(folder);
      assert.equal(files.length, ACTIVE);
      for (const f of files) assert.equal(readFileSync(join(folder, f), 'utf8').trim().split('\n').length, 1, `${f} has the header only`);
    });

    test('events outside the asked dates and repeats within an answer are dropped with their reason', async () => {
      sandbox.llm.setOptions({ ...quietLlm, noisyEvents: true });
      const db = await syncedDb();
      const result = await runOps(['run-batch', '--limit', '2', '--json'], env(db));
      sandbox.llm.setOptions({ noisyEvents: false });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.json.stats.events_dropped, 4);
      const rows = await centersOf(db, result.json.run_id);
      for (const row of rows) {
        assert.equal(row.events_found, 6);
        assert.deepEqual(row.drop_reasons.map((d) => d.reason.replace(/\d{4}-\d{2}-\d{2}/g, 'D')).sort(), [
          'a duplicate of an earlier event in the same answer',
          'date D is outside the requested D to D',
        ]);
        assert.equal(readFileSync(row.csv_path!, 'utf8').trim().split('\n').length, 7, 'header and 6 events');
      }
    });

    test('bad answers: truncated, non-JSON and refused output fail the center with a reason', async () => {
      sandbox.llm.setOptions({ ...quietLlm, truncateRate: 0.3, nonJsonRate: 0.3 });
      const db = await syncedDb();
      const result = await runOps(['run-batch', '--json'], env(db, { LLM_ATTEMPTS: '1' }));
      sandbox.llm.setOptions({ truncateRate: 0, nonJsonRate: 0 });
      assert.equal(result.code, 2, result.stderr);
      const reasons = result.json.failures.map((f: { reason: string }) => f.reason).join('\n');
      assert.match(reasons, /cut off \(finish_reason "length"\)/);
      assert.match(reasons, /no parsable JSON/);
    });

    test('hostile slugs write inside the output folder; formula cells are neutralised', async () => {
      sandbox.llm.setOptions({ ...quietLlm, formulaEvents: true });
      const db = await syncedDb();
      await db.use(async (k) => {
        for (const [i, slug] of ['../../etc/x', 'a/b', 'münchen-by'].entries()) {
          await k
            .insertInto('centers')
            .values({
              center_id: `H-${i}`,
              center_name: 'Hostile',
              slug,
              zip_code: '1',
              city: 'X',
              state: 'Y',
              country: 'USA',
              radius: 5,
              owner_email: null,
              location_data: '{}',
              is_active: true,
              content_hash: 'x',
            })
            .execute();
        }
      });
      const result = await runOps(['run-batch', '--centers', '../../etc/x,a/b,münchen-by', '--json'], env(db));
      sandbox.llm.setOptions({ formulaEvents: false });
      assert.equal(result.code, 0, result.stderr);
      const folder = join(resolve(db.env.OPS_OUTPUT_DIR), 'events', result.json.run_id);
      assert.deepEqual(readdirSync(folder).sort(), ['a-b.csv', 'etc-x.csv', 'munchen-by.csv']);
      const csv = readFileSync(join(folder, 'etc-x.csv'), 'utf8');
      assert.match(csv, /'=HYPERLINK/);
      assert.match(csv, /'@SUM/);
      assert.ok(
        !/(^|,)"?[=+@-]/m.test(
          csv
            .split('\n')
            .slice(1)
            .join('\n')
            .replace(/,-?\d{1,2}:\d{2}/g, ''),
        ),
        'no cell starts with a formula character',
      );
    });

    test('--dry-run prints the prompts, calls nothing and writes nothing', async () => {
      sandbox.llm.setOptions({ ...quietLlm });
      const db = await syncedDb();
      sandbox.llm.resetStats();
      const result = await runOps(['run-batch', '--dry-run', '--limit', '2'], env(db));
      assert.equal(result.code, 0, result.stderr);
      assert.equal((result.stdout.match(/^Location: /gm) ?? []).length, 2);
      assert.equal(sandbox.llm.stats().requests, 0);
      assert.equal(await count(db, 'batch_runs'), 0);
      assert.ok(!existsSync(join(db.env.OPS_OUTPUT_DIR, 'events')));
    });

    test('sync-and-run: one task_logs row each; Grok through the same client', async () => {
      sandbox.llm.setOptions({ ...quietLlm });
      const db = await backend.create();
      const result = await runOps(['sync-and-run', '--limit', '3', '--json'], env(db, { LLM_PROVIDER: 'grok', OPENAI_API_KEY: '' }));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        result.json.runs.map((r: { task: string; status: string }) => `${r.task}:${r.status}`),
        ['sync-centers:success', 'run-batch:success'],
      );
      const runId = result.json.runs[1].run_id;
      const run = await batchRun(db, runId);
      assert.equal(run.trigger, 'sync-and-run');
      assert.equal(run.provider, 'grok');
      assert.equal(run.model, 'grok-4.3');
      const logs = await db.use((k) => k.selectFrom('task_logs').select(['task', 'status']).orderBy('started_at').execute());
      assert.deepEqual(logs, [
        { task: 'sync-centers', status: 'success' },
        { task: 'run-batch', status: 'success' },
      ]);

      const status = await runOps(['batch-status', runId, '--json'], env(db));
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.json.centers.length, 3);
      assert.equal(status.json.successful_centers, 3);
    });

    test('a missing provider key: exit 78 naming it, before any work', async () => {
      const db = await backend.create();
      const result = await runOps(['run-batch'], env(db, { LLM_PROVIDER: 'grok', XAI_API_KEY: '' }));
      assert.equal(result.code, 78);
      assert.match(result.logs.map((l) => l.msg).join('\n'), /XAI_API_KEY is not set \(LLM_PROVIDER=grok needs it\)/);
      assert.ok(!result.stderr.includes(sandbox.env.OPENAI_API_KEY));
    });

    test('batch-status shows progress from another terminal while the run goes on', async () => {
      sandbox.llm.setOptions({ ...quietLlm, latencyMs: 400 });
      const db = await syncedDb();
      const running = startOps(['run-batch'], env(db, { BATCH_CONCURRENCY: '2' }));
      await waitForOutput(running, /"msg":"batch started"/);
      await new Promise((r) => setTimeout(r, 1500));
      const other = env(db, { OPS_LOCK_WAIT_SECONDS: '0.2' });
      const mid = await runOps(['batch-status', '--latest', '--json'], other);
      assert.equal(mid.code, 0, mid.stderr);
      let liveFile: string | undefined;
      if (backend.name === 'postgres') {
        // The counters on batch_runs are true mid-run.
        assert.equal(mid.json.status, 'running');
        assert.ok(mid.json.processed_centers > 0 && mid.json.processed_centers < ACTIVE, `mid-run: ${mid.json.processed_centers}`);
        assert.equal(mid.json.processed_centers, mid.json.centers.filter((c: { status: string }) => c.status !== 'pending').length);
      } else {
        // The embedded database is held by the run: its live progress file answers.
        assert.equal(mid.json.busy, true);
        assert.deepEqual(
          mid.json.running.map((r: { task: string }) => r.task),
          ['run-batch'],
        );
        assert.ok(mid.json.running[0].done > 0 && mid.json.running[0].done < ACTIVE, `mid-run: ${mid.json.running[0].done}`);
        assert.match((await runOps(['status'], other)).stdout, /run-batch\s+\S+\s+center \d+\/25/);
        liveFile = join(db.env.OPS_DATA_DIR, 'live', `${mid.json.running[0].run_id}.json`);
      }
      const result = await running.done;
      sandbox.llm.setOptions({ latencyMs: 0 });
      assert.equal(result.code, 0, result.stderr);
      if (liveFile) assert.ok(!existsSync(liveFile), 'the live file is gone with the run');
    });
  });
}
