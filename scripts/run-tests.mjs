#!/usr/bin/env node
/**
 * `npm test`: migrates one template database per backend, then runs every
 * compiled test file with node:test. Each test clones the template, so no
 * test pays for initdb or migrations.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_test npm test
 *
 * Without TEST_DATABASE_URL the Postgres cases are reported skipped; in CI
 * (CI=true) they must run, so it is an error there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const ops = join(root, 'bin', 'ops.js');

if (process.env.CI === 'true' && !process.env.TEST_DATABASE_URL) {
  console.error('npm test: CI=true but TEST_DATABASE_URL is not set: the Postgres half of the suite must run in CI.');
  process.exit(1);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const env = { ...process.env, OPS_TEST_RUN_PID: String(process.pid) };
const pgliteTemplate = mkdtempSync(join(tmpdir(), 'ops-template-'));
execFileSync(process.execPath, [ops, 'migrate'], { env: { ...env, DATABASE_URL: '', OPS_DATA_DIR: pgliteTemplate }, stdio: ['ignore', 'ignore', 'inherit'] });
env.OPS_TEST_PGLITE_TEMPLATE = pgliteTemplate;

if (process.env.TEST_DATABASE_URL) {
  const { default: pg } = await import('pg');
  const template = `ops_tmpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  // Databases of earlier runs (each test's is kept after the run, for a look when it failed).
  // Their names carry the pid of the run that made them: a run still going on
  // (another checkout testing at the same time) keeps its own.
  const { rows } = await admin.query("select datname from pg_database where datname like 'ops\\_t\\_%' or datname like 'ops\\_tmpl\\_%'");
  for (const { datname } of rows) {
    const pid = Number(/^ops_(?:t|tmpl)_(\d+)(?:_|$)/.exec(datname)?.[1]);
    if (pid && pid !== process.pid && alive(pid)) continue;
    await admin.query(`drop database if exists ${datname} with (force)`);
  }
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL);
  url.pathname = `/${template}`;
  execFileSync(process.execPath, [ops, 'migrate'], { env: { ...env, DATABASE_URL: url.toString() }, stdio: ['ignore', 'ignore', 'inherit'] });
  env.OPS_TEST_PG_TEMPLATE = template;
}

const testDir = join(root, 'dist', 'test');
const only = process.argv.slice(2);
const files = readdirSync(testDir)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .map((f) => join(testDir, f));
// `node --test` with no file runs every test file it finds: a filter that matches nothing is a mistake, said so.
if (files.length === 0) {
  console.error(`run-tests: no test file in dist/test matches ${only.map((o) => JSON.stringify(o)).join(' or ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { env, stdio: 'inherit' });
process.exit(result.status ?? 1);
