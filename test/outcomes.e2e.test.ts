/**
 * "Outcomes never lie", end to end: the real binary against the sandbox. A
 * task's own `success` never hides a failed item.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

for (const backend of backends) {
  describe(`outcomes on ${backend.name}`, { skip: backend.skip }, () => {
    let sandbox: Sandbox;
    const env = (db: TestDatabase, extra: Record<string, string> = {}) => baseEnv({ ...sandbox.env, ...db.env, ...extra });

    before(async () => {
      sandbox = await startSandbox({ centers: 5 });
    });
    after(async () => {
      await sandbox.close();
    });

    test('run-batch --centers austin-tx,no-such-center: partial, exit 2, the unknown slug listed', async () => {
      const db = await backend.create();
      const sync = await runOps(['sync-centers'], env(db));
      assert.equal(sync.code, 0, sync.stderr);
      const result = await runOps(['run-batch', '--centers', 'austin-tx,no-such-center', '--json'], env(db));
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.json.status, 'partial');
      assert.equal(result.json.failure_count, 1);
      assert.equal(result.json.failures[0].item, 'no-such-center');
      assert.equal(result.json.stats.succeeded, 1);
      const row = await db.use((k) => k.selectFrom('task_logs').select(['status']).where('run_id', '=', result.json.run_id).executeTakeFirstOrThrow());
      assert.equal(row.status, 'partial');
    });
  });
}
