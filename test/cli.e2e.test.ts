/** The command line itself: help, usage errors, inspection commands, doctor, sandbox, the published JSON contracts. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps, startOps } from './helpers/ops.js';

const schema = (name: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../schemas/${name}`, import.meta.url)), 'utf8'));
const ajv = new Ajv({ allErrors: true, validateFormats: false });
const validSummary = ajv.compile<any>(schema('run-summary.schema.json'));
const validLogLine = ajv.compile<any>(schema('log-line.schema.json'));

const COMMANDS = ['sync-centers', 'run-batch', 'sync-and-run', 'batch-status', 'status', 'logs', 'migrate', 'doctor', 'sandbox', 'demo'];

test('every command has --help with an example, exit 0', async () => {
  for (const command of COMMANDS) {
    const result = await runOps([command, '--help'], baseEnv());
    assert.equal(result.code, 0, command);
    assert.match(result.stdout, /Example/, `${command} --help shows an example`);
  }
});

test('usage errors exit 64 with a hint', async () => {
  const unknownFlag = await runOps(['sync-centers', '--deactivate-mising'], baseEnv());
  assert.equal(unknownFlag.code, 64);
  assert.match(unknownFlag.stderr, /unknown option '--deactivate-mising'/);
  assert.match(unknownFlag.stderr, /Did you mean --deactivate-missing\?/);
  const unknownCommand = await runOps(['sync-center'], baseEnv());
  assert.equal(unknownCommand.code, 64);
  assert.match(unknownCommand.stderr, /Did you mean sync-centers\?/);
  assert.equal((await runOps([], baseEnv())).code, 64);
  assert.equal((await runOps(['logs', '--limit', 'many'], baseEnv())).code, 64);
  assert.equal((await runOps(['batch-status'], baseEnv())).code, 64);
  assert.equal((await runOps(['--version'], baseEnv())).code, 0);
});

for (const backend of backends) {
  describe(`inspection commands on ${backend.name}`, { skip: backend.skip }, () => {
    let sandbox: Sandbox;
    before(async () => {
      sandbox = await startSandbox({ centers: 6 });
    });
    after(async () => {
      await sandbox.close();
    });

    test('status, logs, migrate --status and the JSON contracts', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...sandbox.env, ...db.env });
      const empty = await runOps(['status'], env);
      assert.equal(empty.code, 0);
      assert.match(empty.stdout, /sync-centers\s+never run/);
      assert.match(empty.stdout, /run-batch\s+never run/);

      const run = await runOps(['sync-and-run', '--json'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(validSummary(run.json), JSON.stringify(validSummary.errors));
      const single = await runOps(['sync-centers', '--json'], env);
      assert.ok(validSummary(single.json), JSON.stringify(validSummary.errors));
      assert.ok(run.logs.length > 3);
      for (const line of [...run.logs, ...single.logs]) assert.ok(validLogLine(line), `${JSON.stringify(line)}: ${JSON.stringify(validLogLine.errors)}`);

      const status = await runOps(['status', '--json'], env);
      // Tasks that never ran are listed too (with no status): only the two that ran are checked here.
      const ran = status.json.filter((r: { run_id: string | null }) => r.run_id);
      assert.deepEqual(
        ran.map((r: { task: string }) => r.task),
        ['run-batch', 'sync-centers'],
      );
      assert.ok(ran.every((r: { status: string; last_success: unknown }) => r.status === 'success' && r.last_success));
      assert.ok(status.json.filter((r: { run_id: string | null }) => !r.run_id).every((r: { status: unknown }) => r.status === null));
      const human = await runOps(['status'], env);
      assert.match(human.stdout, /sync-centers\s+success/);

      const logs = await runOps(['logs', '--task', 'sync-centers', '--limit', '1', '--json'], env);
      assert.equal(logs.json.length, 1);
      assert.equal(logs.json[0].run_id, single.json.run_id);
      const failedOnly = await runOps(['logs', '--failed', '--json'], env);
      assert.deepEqual(failedOnly.json, []);

      const migrations = await runOps(['migrate', '--status', '--json'], env);
      assert.ok(migrations.json.migrations.length >= 3);
      assert.ok(migrations.json.migrations.every((m: { applied_at: unknown }) => m.applied_at));
    });

    test('doctor: all good with a configured sandbox; exit 1 when an upstream is down', async () => {
      const db = await backend.create();
      const good = await runOps(['doctor', '--json'], baseEnv({ ...sandbox.env, ...db.env }));
      assert.equal(good.code, 0, good.stdout + good.stderr);
      const names = good.json.checks.map((c: { check: string; verdict: string }) => `${c.check}:${c.verdict}`);
      assert.ok(names.includes('upstream: location API:ok'), names.join(', '));
      assert.ok(names.includes('upstream: LLM (openai):ok'), names.join(', '));

      const bad = await runOps(['doctor', '--json'], baseEnv({ ...sandbox.env, ...db.env, LOCATION_SLUG_API_URL: 'http://127.0.0.1:9/slugs' }));
      assert.equal(bad.code, 1);
      assert.ok(bad.json.checks.some((c: { check: string; verdict: string }) => c.check === 'upstream: location API' && c.verdict === 'fail'));
      assert.ok(!bad.stdout.includes(sandbox.env.LOCATION_API_KEY));
    });
  });
}

test('ops sandbox prints the variables and serves until stopped', async () => {
  const running = startOps(['sandbox', '--centers', '3'], baseEnv());
  let stdout = '';
  running.child.stdout!.on('data', (d) => (stdout += d));
  const deadline = Date.now() + 20_000;
  while (!/export OPENAI_BASE_URL=/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const slugUrl = /export LOCATION_SLUG_API_URL=(\S+)/.exec(stdout)![1];
  const key = /export LOCATION_API_KEY=(\S+)/.exec(stdout)![1];
  const answer = await fetch(slugUrl, { headers: { 'X-API-Key': key } });
  assert.equal(answer.status, 200);
  assert.equal(((await answer.json()) as { slugs: string[] }).slugs.length, 3);
  running.child.kill('SIGINT');
  const result = await running.done;
  assert.equal(result.code, 0);
});

test('ops demo runs every task on a fresh embedded database, with no Postgres in sight', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ops-demo-cwd-'));
  const result = await runOps(['demo', '--centers', '6'], baseEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }), { cwd });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /✔ sync-centers success/);
  assert.match(result.stdout, /✔ run-batch success/);
  assert.match(result.stdout, /✔ track-ingest success/);
  assert.match(result.stdout, /✔ process-tracking success[^\n]*\n {2}read \d+ · staged \d+/);
  const folder = /CSV files: (\S+)/.exec(result.stdout)![1];
  assert.ok(folder.startsWith(cwd), 'CSVs are under ./output of the working directory');
  assert.ok(readdirSync(folder).length >= 5);
});

test('a .env file is read; real variables win over it', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ops-dotenv-'));
  writeFileSync(
    join(cwd, '.env'),
    'LOCATION_SLUG_API_URL=http://127.0.0.1:9/slugs\nLOCATION_DATA_API_URL=http://127.0.0.1:9/data\nLOCATION_CONCURRENCY=zero\n',
  );
  const fromFile = await runOps(['sync-centers'], baseEnv({ OPS_DATA_DIR: join(cwd, 'data') }), { cwd });
  assert.equal(fromFile.code, 78);
  assert.match(fromFile.stderr, /LOCATION_CONCURRENCY is malformed/);
  const overridden = await runOps(['sync-centers'], baseEnv({ OPS_DATA_DIR: join(cwd, 'data'), LOCATION_CONCURRENCY: '2', LOCATION_ATTEMPTS: '1' }), { cwd });
  assert.equal(overridden.code, 1, 'the settings from .env plus the real variable are valid; the unreachable API fails the run');
  assert.match(overridden.stderr, /location API: GET http:\/\/127\.0\.0\.1:9\/slugs failed/);
});
