/**
 * The operational endpoints of `ops serve` on both databases: a batch run
 * center by center, the tracking figures, and starting runs (202 with the run
 * id, 409 with the holder), all behind OPS_ADMIN_TOKEN. They answer what the
 * matching commands print with --json.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { QUIET_LLM } from '../src/sandbox/llm-sim.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { serve, type Served } from './helpers/serve.js';
import { taskFolder } from './helpers/task-folder.js';

/** A team's task with an option and its default: a triggered run takes the default. */
const TEAM_TASK = `
import { defineTask } from 'ops';
export default defineTask({
  name: 'team-count',
  summary: 'counts to its option',
  settings: {},
  options: { upTo: { type: 'number', description: 'how far', default: 4 } },
  async run(ctx, options) { return { counted: options.upTo }; },
});
`;

const ADMIN = 'operations-admin-token';
const LOCK_NAMESPACE = 0x6f7073; // src/db/open.ts: the class id of ops's advisory locks

function client(server: Served) {
  const call = async (method: 'GET' | 'POST', path: string, token: string | undefined = ADMIN) => {
    const r = await fetch(`${server.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: r.status, json: (await r.json()) as any };
  };
  return {
    get: (path: string, token?: string) => call('GET', path, token),
    post: (path: string, token?: string) => call('POST', path, token),
    /** The run's task_logs row once it is no longer running. */
    async finished(runId: string) {
      for (let i = 0; i < 1_200; i++) {
        const run = await call('GET', `/api/v1/runs/${runId}`);
        if (run.status === 200 && run.json.status !== 'running') return run.json;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`run ${runId} still running`);
    },
  };
}

for (const backend of backends) {
  describe(`ops serve operations on ${backend.name}`, { skip: backend.skip }, () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ centers: 6 });
    });
    after(async () => {
      await sandbox.close();
    });
    const envOf = (dbEnv: Record<string, string>, extra: Record<string, string> = {}) =>
      baseEnv({ ...sandbox.env, ...dbEnv, OPS_ADMIN_TOKEN: ADMIN, OPS_TRACK_PROCESSING: 'false', OPS_LOCK_WAIT_SECONDS: '0', ...extra });

    test('GET /api/v1/batches/:id (and /events/status/:id) answers what batch-status --json prints; 404 unknown; 401 without the token', async () => {
      sandbox.llm.setOptions({ ...QUIET_LLM });
      const db = await backend.create();
      const env = envOf(db.env);
      const run = await runOps(['sync-and-run', '--limit', '3', '--json'], env);
      assert.equal(run.code, 0, run.stderr);
      const runId = run.json.runs[1].run_id;
      const printed = await runOps(['batch-status', runId, '--json'], env);
      assert.equal(printed.code, 0, printed.stderr);
      const server = await serve(env);
      const api = client(server);
      assert.equal((await api.get(`/api/v1/batches/${runId}`, '')).status, 401);
      assert.equal((await api.get(`/events/status/${runId}`, 'wrong')).status, 401);
      const answered = await api.get(`/api/v1/batches/${runId}`);
      assert.equal(answered.status, 200);
      assert.deepEqual(answered.json, printed.json);
      assert.equal(answered.json.centers.length, 3);
      assert.deepEqual((await api.get(`/events/status/${runId}`)).json, printed.json);
      assert.equal((await api.get('/api/v1/batches/20260101-000000-nope')).status, 404);
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    });

    test('track status and dashboard answer what tracking-status --json prints; POST /api/v1/track/process: 202, the run succeeds; 409 while its lock is held', async () => {
      const db = await backend.create();
      const env = envOf(db.env);
      for (let i = 0; i < 2; i++) assert.equal((await runOps(['process-tracking'], env)).code, 0);
      const printed = await runOps(['tracking-status', '--json'], env);
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(printed.json.last_runs.length, 2);
      const server = await serve(env);
      const api = client(server);
      assert.equal((await api.get('/api/v1/track/status', '')).status, 401);
      assert.deepEqual((await api.get('/api/v1/track/status')).json, printed.json);
      const { last_runs, ...figures } = printed.json;
      const dashboard = await api.get('/api/v1/track/dashboard?limit=1');
      assert.deepEqual(dashboard.json, { figures, runs: last_runs.slice(0, 1) });
      assert.equal((await api.get('/api/v1/track/dashboard?limit=0')).status, 400);
      assert.equal((await api.get('/api/v1/track/dashboard', '')).status, 401);

      assert.equal((await api.post('/api/v1/track/process', '')).status, 401);
      const started = await api.post('/api/v1/track/process');
      assert.equal(started.status, 202, JSON.stringify(started.json));
      assert.equal(started.json.task, 'process-tracking');
      const run = await api.finished(started.json.run_id);
      assert.deepEqual([run.task, run.status], ['process-tracking', 'success']);
      if (backend.name === 'postgres') {
        // Another process holds process-tracking's lock: the run is skipped, and the answer names the lock.
        await db.use((k) =>
          k.connection().execute(async (conn) => {
            await sql`select pg_advisory_lock(${LOCK_NAMESPACE}::int, hashtext('process-tracking'))`.execute(conn);
            try {
              const refused = await api.post('/api/v1/track/process');
              assert.equal(refused.status, 409, JSON.stringify(refused.json));
              assert.match(refused.json.holder, /process-tracking/);
            } finally {
              await sql`select pg_advisory_unlock(${LOCK_NAMESPACE}::int, hashtext('process-tracking'))`.execute(conn);
            }
          }),
        );
      }
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    });

    test('POST /api/v1/tasks/:name/run and the /cron aliases: 202 with the run id, 409 with the holder, 404 unknown, 401 without the token', async () => {
      sandbox.llm.setOptions({ ...QUIET_LLM, latencyMs: 400 });
      const db = await backend.create();
      const env = envOf(db.env, { BATCH_CONCURRENCY: '1' });
      const server = await serve(env);
      const api = client(server);
      assert.equal((await api.post('/api/v1/tasks/nope/run')).status, 404);
      assert.equal((await api.post('/api/v1/tasks/sync-centers/run', '')).status, 401);
      assert.equal((await api.post('/cron/run-batch', '')).status, 401);
      const sync = await api.post('/api/v1/tasks/sync-centers/run');
      assert.equal(sync.status, 202, JSON.stringify(sync.json));
      assert.equal((await api.finished(sync.json.run_id)).status, 'success');

      const batch = await api.post('/cron/run-batch');
      assert.equal(batch.status, 202, JSON.stringify(batch.json));
      assert.equal(batch.json.task, 'run-batch');
      const refused = await api.post('/api/v1/tasks/run-batch/run');
      assert.equal(refused.status, 409, JSON.stringify(refused.json));
      assert.ok(refused.json.holder.includes(batch.json.run_id), refused.json.holder);
      assert.equal((await api.finished(batch.json.run_id)).status, 'success');
      assert.equal((await api.get(`/api/v1/batches/${batch.json.run_id}`)).json.trigger, 'cli');

      sandbox.llm.setOptions({ ...QUIET_LLM });
      const both = await api.post('/cron/sync-and-run');
      assert.equal(both.status, 202, JSON.stringify(both.json));
      assert.equal(both.json.task, 'sync-centers');
      assert.equal((await api.finished(both.json.run_id)).status, 'success');
      let batches: any[] = [];
      for (let i = 0; i < 1_200 && !(batches.length === 2 && batches.every((r) => r.status !== 'running')); i++) {
        await new Promise((r) => setTimeout(r, 100));
        // On Postgres the refused run is a `skipped` row of its own process.
        batches = (await api.get('/api/v1/runs?task=run-batch')).json.runs.filter((r: any) => r.status !== 'skipped');
      }
      assert.deepEqual(
        batches.map((r) => r.status),
        ['success', 'success'],
      );
      assert.equal((await api.get(`/api/v1/batches/${batches[0].run_id}`)).json.trigger, 'sync-and-run');
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    });

    test('a task of OPS_TASKS_DIR can be started too (with its options’ defaults); a task that needs input is refused with the reason; GET /cron/status', async () => {
      const db = await backend.create();
      const { tasks } = taskFolder({ 'team-count.mjs': TEAM_TASK });
      const server = await serve(envOf(db.env, { OPS_TASKS_DIR: tasks }));
      const api = client(server);
      const started = await api.post('/api/v1/tasks/team-count/run');
      assert.equal(started.status, 202, JSON.stringify(started.json));
      assert.equal(started.json.task, 'team-count');
      const run = await api.finished(started.json.run_id);
      assert.equal(run.status, 'success');
      assert.deepEqual(run.stats, { counted: 4 });
      const ingest = await api.post('/api/v1/tasks/track-ingest/run');
      assert.equal(ingest.status, 422);
      assert.match(ingest.json.error, /ops track ingest/);
      assert.equal((await api.post('/api/v1/tasks/no-such-team-task/run')).status, 404);
      const status = await api.get('/cron/status');
      assert.equal(status.status, 200);
      assert.equal(status.json.tasks.find((t: any) => t.task === 'team-count')?.run_id, started.json.run_id);
      assert.equal((await api.get('/cron/status', '')).status, 401);
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    });
  });
}
