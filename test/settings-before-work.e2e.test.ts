/**
 * Settings and storage problems found before any work, with the exit code that
 * says what to do: read-only commands that never create nor migrate, a data
 * folder that is a file, a database that refuses us, an output folder that
 * cannot be written, OPS_NOW, help, and doctor's warnings.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { dataDirProblem } from '../src/db/data-dir-lock.js';
import { ConfigError, OpsError } from '../src/core/errors.js';
import { connectionError } from '../src/db/connection-error.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

const LOCATION = {
  LOCATION_SLUG_API_URL: 'http://127.0.0.1:9/slugs',
  LOCATION_DATA_API_URL: 'http://127.0.0.1:9/data',
  OPENAI_API_KEY: 'sk-unused',
  OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
};

test('read-only commands never create OPS_DATA_DIR: a missing folder is exit 78 naming it', async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'ops-ro-')), 'typo');
  for (const args of [['status'], ['logs'], ['batch-status', '--latest']]) {
    const result = await runOps(args, baseEnv({ OPS_DATA_DIR: missing }));
    assert.equal(result.code, 78, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /OPS_DATA_DIR/);
    assert.match(result.stderr, /no embedded database at/);
    assert.ok(!existsSync(missing), `${args.join(' ')} created ${missing}`);
  }
});

test('read-only commands do not create a database in an existing empty folder either', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'ops-ro-empty-'));
  const result = await runOps(['status'], baseEnv({ OPS_DATA_DIR: empty }));
  assert.equal(result.code, 78, result.stderr);
  assert.ok(!existsSync(join(empty, 'pglite')));
});

for (const backend of backends) {
  describe(`read-only commands on ${backend.name}`, { skip: backend.skip }, () => {
    test('status, logs and batch-status report pending migrations and never apply them', async () => {
      const db = await backend.create();
      // An older schema, as a newer binary would find it.
      await db.use(async (k) => {
        await sql`drop table discovered_events cascade`.execute(k);
        await sql`drop table batch_run_centers cascade`.execute(k);
        await sql`drop table batch_runs cascade`.execute(k);
        await sql`delete from ops_migrations where name = '0003_batch_runs'`.execute(k);
      });
      for (const args of [['status'], ['logs'], ['status', '--json']]) {
        const result = await runOps(args, baseEnv({ ...db.env }));
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, /0003_batch_runs/, `${args.join(' ')} reports the pending migration`);
      }
      const batch = await runOps(['batch-status', '--latest'], baseEnv({ ...db.env }));
      assert.match(batch.stderr, /0003_batch_runs/);
      const applied = await db.use(async (k) => (await sql<{ name: string }>`select name from ops_migrations`.execute(k)).rows.map((r) => r.name));
      assert.ok(!applied.includes('0003_batch_runs'), 'a read-only command migrated the database');
    });
  });
}

test('status on a Postgres database without our schema is exit 78 naming DATABASE_URL, and creates nothing', { skip: backends[1].skip }, async () => {
  const { default: pg } = await import('pg');
  const name = `ops_t_${process.env.OPS_TEST_RUN_PID ?? process.pid}_empty_${Date.now()}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  const result = await runOps(['status'], baseEnv({ DATABASE_URL: url.toString() }));
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /DATABASE_URL/);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const { rows } = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
  await client.end();
  assert.equal(rows[0].n, 0, 'status created tables');
});

test('OPS_DATA_DIR that is a file is exit 78 naming it, for tasks and read-only commands', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ops-file-')), 'data');
  writeFileSync(file, 'not a folder');
  for (const args of [['sync-centers'], ['status']]) {
    const result = await runOps(args, baseEnv({ ...LOCATION, OPS_DATA_DIR: file }));
    assert.equal(result.code, 78, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /OPS_DATA_DIR/);
    assert.doesNotMatch(result.stderr, /internal error/);
  }
});

test('a data folder that cannot be written (read-only mount, permissions) is a ConfigError naming OPS_DATA_DIR', () => {
  for (const code of ['EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EEXIST']) {
    const err = Object.assign(new Error(`${code}: boom`), { code });
    const mapped = dataDirProblem('/mnt/ro/data', err);
    assert.ok(mapped instanceof ConfigError, code);
    assert.equal(mapped.variable, 'OPS_DATA_DIR');
    assert.match(mapped.message, /\/mnt\/ro\/data/);
  }
  const other = Object.assign(new Error('EIO: disk'), { code: 'EIO' });
  assert.equal(dataDirProblem('/x', other), other, 'an I/O error is not a setting');
});

test('a refused connection is a ConfigError naming DATABASE_URL; an unreachable server is a failed run; the password never shows', () => {
  const url = 'postgres://ops:hunter2secret@db.internal:5432/ops';
  for (const code of ['28P01', '28000', '3D000']) {
    const err = connectionError(url, Object.assign(new Error(`refused (${code})`), { code }));
    assert.ok(err instanceof ConfigError, code);
    assert.equal(err.exitCode, 78);
    assert.equal((err as ConfigError).variable, 'DATABASE_URL');
    assert.ok(!err.message.includes('hunter2secret'), err.message);
  }
  for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', undefined]) {
    const err = connectionError(url, Object.assign(new Error(`network (${code})`), { code }));
    assert.ok(err instanceof OpsError && !(err instanceof ConfigError), String(code));
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /DATABASE_URL/);
    assert.ok(!err.message.includes('hunter2secret'), err.message);
  }
});

describe('a database that refuses the connection', { skip: backends[1].skip }, () => {
  const base = () => new URL(process.env.TEST_DATABASE_URL!);
  test('no such database: exit 78 naming DATABASE_URL, password masked, JSON summary printed', async () => {
    const url = base();
    url.password = 'hunter2secret';
    url.pathname = '/ops_no_such_database_here';
    const result = await runOps(['sync-centers', '--json'], baseEnv({ ...LOCATION, DATABASE_URL: url.toString() }));
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.match(result.stderr, /does not exist/);
    assert.ok(!(result.stdout + result.stderr).includes('hunter2secret'));
    assert.equal(result.json?.task, 'sync-centers', result.stdout);
    assert.equal(result.json.status, 'failed');
    assert.equal(result.json.exit_code, 78);
    assert.match(result.json.error, /DATABASE_URL/);
    assert.match(result.json.run_id, /^\d{8}-\d{6}-[0-9a-f]{6}$/);
  });

  test('no such role: exit 78', async () => {
    const url = base();
    url.username = 'ops_no_such_role';
    const result = await runOps(['sync-centers'], baseEnv({ ...LOCATION, DATABASE_URL: url.toString() }));
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /DATABASE_URL/);
  });

  test('unreachable: exit 1 naming DATABASE_URL; sync-and-run --json prints a summary per task', async () => {
    const result = await runOps(['sync-and-run', '--json'], baseEnv({ ...LOCATION, DATABASE_URL: 'postgres://ops:pw-not-shown@127.0.0.1:9/ops' }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.ok(!(result.stdout + result.stderr).includes('pw-not-shown'));
    assert.deepEqual(
      result.json?.runs?.map((r: { task: string; status: string }) => `${r.task}:${r.status}`),
      ['sync-centers:failed', 'run-batch:failed'],
      result.stdout,
    );
    assert.equal(result.json.exit_code, 1);
  });
});

describe('settings checked before any work', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ centers: 3 });
  });
  after(async () => {
    await sandbox.close();
  });

  test('OPS_OUTPUT_DIR that is a file: run-batch exits 78 before any LLM call', async () => {
    const db = await backends[0].create();
    const sync = await runOps(['sync-centers'], baseEnv({ ...sandbox.env, ...db.env }));
    assert.equal(sync.code, 0, sync.stderr);
    const file = join(mkdtempSync(join(tmpdir(), 'ops-out-')), 'output');
    writeFileSync(file, 'not a folder');
    const before = sandbox.llm.stats().requests;
    const result = await runOps(['run-batch'], baseEnv({ ...sandbox.env, ...db.env, OPS_OUTPUT_DIR: file }));
    assert.equal(result.code, 78, result.stderr);
    assert.match(result.stderr, /OPS_OUTPUT_DIR/);
    assert.equal(sandbox.llm.stats().requests, before, 'no LLM call was paid for');
  });

  test('OPS_OUTPUT_DIR is not checked by a task that writes nothing there', async () => {
    const db = await backends[0].create();
    const file = join(mkdtempSync(join(tmpdir(), 'ops-out-')), 'output');
    writeFileSync(file, 'not a folder');
    const result = await runOps(['sync-centers'], baseEnv({ ...sandbox.env, ...db.env, OPS_OUTPUT_DIR: file }));
    assert.equal(result.code, 0, result.stderr);
  });

  test('OPS_NOW must be an ISO 8601 date-time: anything else is 78 naming it', async () => {
    const db = await backends[0].create();
    for (const value of ['garbage', '2', '2026-11-25', '2026-13-40T02:00:00Z']) {
      const result = await runOps(['sync-centers'], baseEnv({ ...sandbox.env, ...db.env, OPS_NOW: value }));
      assert.equal(result.code, 78, `${value}: ${result.stderr}`);
      assert.match(result.stderr, /OPS_NOW/);
    }
    const good = await runOps(['sync-centers', '--json'], baseEnv({ ...sandbox.env, ...db.env, OPS_NOW: '2026-11-25T02:00:00Z' }));
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.json.run_id, /^20261125-02/);
  });
});

test('ops help and ops help <command> exit 0; batch-status of an unknown run is a usage error', async () => {
  const help = await runOps(['help'], baseEnv());
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout + help.stderr, /run-batch/);
  const helpRun = await runOps(['help', 'run-batch'], baseEnv());
  assert.equal(helpRun.code, 0, helpRun.stderr);
  assert.match(helpRun.stdout + helpRun.stderr, /--resume/);
  const db = await backends[0].create();
  const unknown = await runOps(['batch-status', 'nonexistent'], baseEnv({ ...db.env }));
  assert.equal(unknown.code, 64, unknown.stderr);
  assert.match(unknown.stderr, /nonexistent/);
});

test('doctor warns when the embedded database is used under OPS_ENV=production', async () => {
  const db = await backends[0].create();
  const verdicts = async (opsEnv: string) => {
    const result = await runOps(['doctor', '--json'], baseEnv({ ...db.env, OPS_ENV: opsEnv }));
    return result.json.checks as Array<{ check: string; verdict: string; detail: string }>;
  };
  const production = await verdicts('production');
  assert.ok(
    production.some((c) => c.verdict === 'warn' && /production/.test(c.detail) && /embedded/.test(c.detail)),
    JSON.stringify(production),
  );
  const development = await verdicts('development');
  assert.ok(!development.some((c) => c.verdict === 'warn' && /production/.test(c.detail)), JSON.stringify(development));
});

test('doctor does not create OPS_DATA_DIR', async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'ops-doc-')), 'typo');
  mkdirSync(join(missing, '..'), { recursive: true });
  const result = await runOps(['doctor', '--json'], baseEnv({ OPS_DATA_DIR: missing }));
  assert.equal(result.code, 1);
  assert.ok(
    result.json.checks.some(
      (c: { check: string; verdict: string; detail: string }) => c.check === 'database' && c.verdict === 'fail' && /OPS_DATA_DIR/.test(c.detail),
    ),
  );
  assert.ok(!existsSync(missing));
});
