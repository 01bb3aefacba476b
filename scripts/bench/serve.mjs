#!/usr/bin/env node
/**
 * `ops serve` under load on Postgres, driven by autocannon: single-event
 * requests to /api/v1/track/async (bar: ≥ 5,000 events/s, p99 ≤ 100 ms) and
 * batch requests to /api/v1/track/batch (bar: ≥ 50,000 events/s). Accepted
 * (2xx answers × events per request) is checked against the rows in
 * raw.events once the server has stopped (SIGTERM: it writes what it
 * accepted). Baseline in the same run: GET /healthz, the HTTP ceiling of this
 * process on this machine (no body, no database), so the ingest's cost reads
 * as a ratio whatever else the machine is doing. Background processing is off
 * (OPS_TRACK_PROCESSING=false): this measures the ingest.
 *
 *   npm run build && node scripts/bench/serve.mjs [seconds-per-phase] [connections] [batch-size]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default) — a scratch database is created in it and dropped.
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { uptime as osUptime, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { OPS } from './common.mjs';

const seconds = Number(process.argv[2] ?? 15);
const connections = Number(process.argv[3] ?? 50);
const batchSize = Number(process.argv[4] ?? 500);
const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const { default: pg } = await import('pg');

const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} (2 cores; up ${Math.round(osUptime() / 60)} min)`;
console.log(`before: ${load()}`);

const admin = new pg.Client({ connectionString: base });
await admin.connect();
const name = `serve_bench_${process.pid}`;
await admin.query(`create database ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const env = { ...process.env, DATABASE_URL: url.toString(), OPS_TRACK_PROCESSING: 'false', OPS_INGEST_RATE_PER_KEY: '0', NO_COLOR: '1' };

try {
  const token = JSON.parse(
    execFileSync(process.execPath, [OPS, 'tokens', 'create', '--customer', 'bench', '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  const server = spawn(process.execPath, [OPS, 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  while (!/"msg":"listening"/.test(stderr)) {
    if (server.exitCode !== null) throw new Error(`ops serve exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const target = JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"listening"'))).url;
  const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${token.write_key}:`).toString('base64')}` };
  const event = (i) => ({
    event_id: `bench-${i}`,
    event_type: 'page_view',
    occurred_at: '2026-11-30T10:00:00Z',
    session_id: `s-${i % 1000}`,
    page_url: 'https://shop.example/pricing?utm_source=google',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  });

  const run = ({ path, ...opts }) => autocannon({ url: `${target}${path}`, connections, duration: seconds, ...opts });
  const summary = (r, events) => ({
    requests_per_s: Math.round(r.requests.average),
    events_per_s: Math.round(r.requests.average * events),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    ok: r['2xx'],
    non_2xx: r.non2xx,
    errors: r.errors,
  });

  const benchStarted = Date.now();
  const health = summary(await run({ method: 'GET', path: '/healthz' }), 0);
  const single = await run({ method: 'POST', path: '/api/v1/track/async', headers, body: JSON.stringify(event(1)) });
  const batchBody = JSON.stringify({ events: Array.from({ length: batchSize }, (_, i) => event(i)) });
  const batch = await run({ method: 'POST', path: '/api/v1/track/batch', headers, body: batchBody, connections: Math.min(connections, 10) });

  const phasesStarted = benchStarted;
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  const stopped = JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"stopped"')) ?? '{}');
  const accepted = single['2xx'] + batch['2xx'] * batchSize;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  const raw = (await db.query('select count(*)::int as n from raw.events')).rows[0].n;
  await db.end();

  const s = summary(single, 1);
  const b = summary(batch, batchSize);
  console.log(`healthz (baseline, no body, no database): ${health.requests_per_s} req/s, p99 ${health.p99_ms} ms`);
  console.log(
    `single events, /api/v1/track/async, ${connections} connections: ${s.events_per_s} events/s (bar 5,000), p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms (bar 100), ${(s.requests_per_s / health.requests_per_s).toFixed(2)}× the healthz rate, non-2xx ${s.non_2xx}, errors ${s.errors}`,
  );
  console.log(
    `batches of ${batchSize}, /api/v1/track/batch, ${Math.min(connections, 10)} connections: ${b.events_per_s} events/s (bar 50,000), ${b.requests_per_s} req/s, p50 ${b.p50_ms} ms, p99 ${b.p99_ms} ms, non-2xx ${b.non_2xx}, errors ${b.errors}`,
  );
  console.log(
    `accepted (2xx × events) ${accepted}, rows in raw.events ${raw}: ${raw === accepted ? 'equal' : raw > accepted ? `${raw - accepted} more (requests answered after autocannon stopped counting)` : 'FEWER: events lost'}; ops serve exited ${code}`,
  );
  console.log(
    `ops serve used ${Math.round(stopped.cpu_ms / 1000)} s of CPU in ${Math.round((Date.now() - phasesStarted) / 1000)} s of load (${stopped.inserts} inserts)`,
  );
  console.log(`after: ${load()}`);
  if (raw < accepted || code !== 0) process.exitCode = 1;
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
