#!/usr/bin/env node
/**
 * Start-up cost of `ops`, as ratios against bare `node -e 0` measured in the
 * same run: `ops --help` (must load no task dependency) and a task run with
 * nothing to do (run-batch on a database without centers: settings, open,
 * migrations check, lock, task_logs row, exit).
 *
 *   npm run build && node scripts/bench/startup.mjs [runs]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench node scripts/bench/startup.mjs
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPS, medianOf, timeCommand } from './common.mjs';

const runs = Number(process.argv[2] ?? 15);
const llm = { OPENAI_API_KEY: 'sk-bench-000000000000', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
const baseline = medianOf(runs, ['-e', '0']);
const help = medianOf(runs, [OPS, '--help']);

const rows = [
  ['node -e 0', baseline],
  ['ops --help', help],
];

const embeddedDir = mkdtempSync(join(tmpdir(), 'ops-bench-'));
const embeddedEnv = { ...process.env, ...llm, DATABASE_URL: '', OPS_DATA_DIR: embeddedDir };
timeCommand([OPS, 'migrate'], embeddedEnv); // initdb once, outside the measurement
rows.push(['ops run-batch, nothing to do (embedded)', medianOf(Math.min(runs, 7), [OPS, 'run-batch'], embeddedEnv)]);

if (process.env.BENCH_DATABASE_URL) {
  // A database of its own, so that "nothing to do" holds whatever BENCH_DATABASE_URL contains.
  const { default: pg } = await import('pg');
  const name = `ops_bench_startup_${process.pid}`;
  const admin = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(process.env.BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  const pgEnv = { ...process.env, ...llm, DATABASE_URL: url.toString() };
  timeCommand([OPS, 'migrate'], pgEnv);
  rows.push(['ops run-batch, nothing to do (Postgres)', medianOf(runs, [OPS, 'run-batch'], pgEnv)]);
  await admin.query(`drop database ${name}`);
  await admin.end();
}

console.log(`startup, median of ${runs} runs, Node ${process.version}`);
for (const [name, ms] of rows) console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / baseline).toFixed(2)}× node -e 0`);
