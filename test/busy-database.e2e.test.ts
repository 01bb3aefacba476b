/**
 * A run that keeps finding the embedded database busy is not `skipped`, exit 0,
 * forever: past OPS_BUSY_FAIL_SECONDS it fails, naming who holds it and since
 * when, and `status` and `doctor` say so. Real processes: the holder is one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

const lockModule = fileURLToPath(new URL('../src/db/data-dir-lock.js', import.meta.url));
const LOCATION = { LOCATION_SLUG_API_URL: 'http://127.0.0.1:9/slugs', LOCATION_DATA_API_URL: 'http://127.0.0.1:9/data' };

test('a database busy for longer than OPS_BUSY_FAIL_SECONDS fails the run; status and doctor show it', async () => {
  const db = await backends[0].create();
  const dir = db.env.OPS_DATA_DIR;
  const code = `import { acquireDataDirLock } from ${JSON.stringify(lockModule)};
    await acquireDataDirLock(${JSON.stringify(dir)}, 1000); console.log('held'); setInterval(() => {}, 1000);`;
  const holder = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => holder.on('exit', () => r()));
  try {
    await new Promise((r) => holder.stdout!.once('data', r));
    const env = baseEnv({ ...db.env, ...LOCATION, OPS_BUSY_FAIL_SECONDS: '2' });
    const first = await runOps(['sync-centers', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.status, 'skipped');
    await new Promise((r) => setTimeout(r, 2200));
    const later = await runOps(['sync-centers', '--json'], env);
    assert.equal(later.code, 1, later.stderr);
    assert.equal(later.json?.status, 'failed', later.stdout);
    assert.match(later.json.error, new RegExp(`busy since .*pid ${holder.pid}`));

    const status = await runOps(['status'], env);
    assert.match(status.stdout, /2 run\(s\) skipped/);
    const doctor = await runOps(['doctor', '--json'], env);
    const busy = doctor.json.checks.find((c: { check: string }) => c.check === 'database busy');
    assert.ok(busy, JSON.stringify(doctor.json.checks));
    assert.equal(busy.verdict, 'fail');
    assert.match(busy.detail, new RegExp(`pid ${holder.pid}`));
  } finally {
    holder.kill('SIGTERM');
    await exited;
  }
  // Free again: doctor still tells of the runs skipped meanwhile, until a task run records them.
  const doctorAfter = await runOps(['doctor', '--json'], baseEnv({ ...db.env }));
  const skipped = doctorAfter.json.checks.find((c: { check: string }) => c.check === 'skipped while busy');
  assert.ok(skipped, JSON.stringify(doctorAfter.json.checks));
  assert.equal(skipped.verdict, 'warn');
  assert.match(skipped.detail, /2 run\(s\) skipped since/);
  // Once free, the next task run records the skipped and the failed run in task_logs.
  await runOps(['sync-centers'], baseEnv({ ...db.env, ...LOCATION, LOCATION_ATTEMPTS: '1' }));
  const logs = await runOps(['logs', '--task', 'sync-centers', '--json'], baseEnv({ ...db.env }));
  assert.equal(logs.code, 0, logs.stderr);
  const busyRuns = logs.json.filter((r: { error: string | null }) => /embedded database/.test(r.error ?? ''));
  assert.deepEqual(busyRuns.map((r: { status: string }) => r.status).sort(), ['failed', 'skipped']);
});
