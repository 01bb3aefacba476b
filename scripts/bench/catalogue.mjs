#!/usr/bin/env node
/**
 * catalogue wall time for 500 waiting URLs against the LLM simulator with
 * latency L per call, at several concurrencies C. The bound the issue sets:
 * wall ≤ 1.2 × ⌈500 / C⌉ × L. Every page answers 200 here (no redirect, no
 * broken or slow page), so all 500 go to the LLM; ScrapingBee answers at once.
 *
 *   npm run build && node scripts/bench/catalogue.mjs [latencyMs]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench node scripts/bench/catalogue.mjs 500
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPS, timeCommandAsync } from './common.mjs';

const latency = Number(process.argv[2] ?? 500);
const URLS = 500;
const { startSandbox } = await import('../../dist/src/sandbox/index.js');
const sandbox = await startSandbox({
  centers: 1,
  llm: { latencyMs: latency },
  catalogue: { pages: URLS, scrapingbee: { brokenPages: false, redirects: false, slowMs: 0 } },
});
const base = {
  ...process.env,
  ...sandbox.env,
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
};

async function catalogue(concurrency) {
  // A fresh database per run: 500 URLs waiting each time.
  const dir = mkdtempSync(join(tmpdir(), 'ops-bench-catalogue-'));
  const env = { ...base, OPS_DATA_DIR: join(dir, 'data') };
  if (env.DATABASE_URL) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await client.query('delete from catalogue_urls').catch(() => {});
    await client.end();
  }
  const sync = await timeCommandAsync([OPS, 'airtable-sync'], env);
  if (sync.status !== 0) throw new Error(sync.stderr);
  const r = await timeCommandAsync([OPS, 'catalogue', '--concurrency', String(concurrency), '--json'], env);
  if (r.status !== 0) throw new Error(`catalogue exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const summary = JSON.parse(r.stdout);
  return { wall: summary.duration_ms, catalogued: summary.stats.catalogued, process: r.ms };
}

console.log(`catalogue, ${URLS} URLs, LLM latency ${latency} ms, ${base.DATABASE_URL ? 'Postgres' : 'embedded database'}`);
console.log('wall = the catalogue run (task_logs duration); process = ops start to exit');
let ok = true;
for (const c of [10, 25, 50]) {
  sandbox.llm.resetStats();
  const r = await catalogue(c);
  const bound = 1.2 * Math.ceil(URLS / c) * latency;
  const within = r.wall <= bound && r.catalogued === URLS;
  ok &&= within;
  console.log(
    `C=${String(c).padEnd(3)} ${String(r.wall).padStart(7)} ms   bound ${bound.toFixed(0)} ms ${within ? 'ok ' : 'OVER'}   catalogued ${r.catalogued}   max concurrent LLM calls ${sandbox.llm.stats().maxConcurrent}   process ${r.process.toFixed(0)} ms`,
  );
}
await sandbox.close();
process.exit(ok ? 0 : 1);
