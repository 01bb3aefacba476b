#!/usr/bin/env node
/**
 * run-batch wall time against the LLM simulator with latency L per call and
 * 25 active centers, at several concurrencies C, against a serial run (C = 1,
 * what the old system did) measured in the same benchmark. The bound the issue
 * sets: wall ≤ 1.2 × ⌈25 / C⌉ × L.
 *
 *   npm run build && node scripts/bench/batch.mjs [latencyMs]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench node scripts/bench/batch.mjs 500
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPS, timeCommandAsync } from './common.mjs';

const latency = Number(process.argv[2] ?? 500);
const { startSandbox } = await import('../../dist/src/sandbox/index.js');
// 27 seeded centers, every 10th inactive: 25 active.
const sandbox = await startSandbox({ centers: 27, llm: { latencyMs: latency } });
const dir = mkdtempSync(join(tmpdir(), 'ops-bench-batch-'));
const env = {
  ...process.env,
  ...sandbox.env,
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
  OPS_DATA_DIR: join(dir, 'data'),
  OPS_OUTPUT_DIR: join(dir, 'output'),
};
const sync = await timeCommandAsync([OPS, 'sync-centers'], env);
if (sync.status !== 0) throw new Error(sync.stderr);

async function batch(concurrency) {
  const r = await timeCommandAsync([OPS, 'run-batch', '--concurrency', String(concurrency), '--json'], env);
  if (r.status !== 0) throw new Error(`run-batch exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const summary = JSON.parse(r.stdout);
  // The batch's own wall time, from its batch_runs row (the task's duration adds setup).
  const status = await timeCommandAsync([OPS, 'batch-status', summary.run_id, '--json'], env);
  const run = JSON.parse(status.stdout);
  const wall = new Date(run.completed_at).getTime() - new Date(run.started_at).getTime();
  return { wall, task: summary.duration_ms, centers: summary.stats.centers, process: r.ms };
}

const serial = await batch(1);
console.log(`run-batch, ${serial.centers} centers, LLM latency ${latency} ms, ${env.DATABASE_URL ? 'Postgres' : 'embedded database'}`);
console.log(`batch wall time (batch_runs started → completed); task = the whole task run; process = ops start to exit`);
console.log(`C=1  (serial baseline)  ${String(serial.wall).padStart(6)} ms   task ${serial.task} ms, process ${serial.process.toFixed(0)} ms`);
let ok = true;
for (const c of [5, 10, 25]) {
  const r = await batch(c);
  const bound = 1.2 * Math.ceil(r.centers / c) * latency;
  const within = r.wall <= bound;
  ok &&= within;
  console.log(
    `C=${String(c).padEnd(3)} ${String(r.wall).padStart(16)} ms   bound ${bound.toFixed(0)} ms ${within ? 'ok ' : 'OVER'}   ${(serial.wall / r.wall).toFixed(1)}× faster than serial   task ${r.task} ms, process ${r.process.toFixed(0)} ms`,
  );
}
console.log(`max concurrent LLM calls seen by the simulator: ${sandbox.llm.stats().maxConcurrent}`);
await sandbox.close();
process.exit(ok ? 0 : 1);
