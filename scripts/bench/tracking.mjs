#!/usr/bin/env node
/**
 * The tracking pipeline on Postgres: N events (1,000,000 by default) of
 * generated traffic ingested into raw.events, then one `ops process-tracking`
 * raw → staging → business, against a row-at-a-time baseline measured in the
 * same run on a sample (each event its own transaction: read it, insert it into
 * staging, upsert its daily page and conversion counters — less work per event
 * than the pipeline does, so the ratio is if anything understated). Then the
 * run with nothing to do, on the processed database: its check query, its whole
 * run and the process's wall time.
 *
 *   npm run build && node scripts/bench/tracking.mjs [events] [baseline-sample]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (default) — a scratch database is created in it and dropped.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { OPS, median, timeCommand } from './common.mjs';

const events = Number(process.argv[2] ?? 1_000_000);
const sample = Number(process.argv[3] ?? 20_000);
const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const { default: pg } = await import('pg');
const { trackingTraffic } = await import('../../dist/src/sandbox/tracking-traffic.js');

const admin = new pg.Client({ connectionString: base });
admin.on('error', () => {});
await admin.connect();
// Not ops_bench_…: other benchmarks clean those up.
const name = `trk_bench_${process.pid}`;
await admin.query(`create database ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const env = { ...process.env, DATABASE_URL: url.toString() };

/** Generated traffic, cut at n lines: many customers, sessions of a few events, ~1 % bad, bots, redeliveries, late events. */
function* lines(n, seed) {
  let i = 0;
  for (const line of trackingTraffic({ customers: Math.max(1, Math.ceil(n / 40_000)), sessions: 10_000, seed, lateRate: 0.02, badRate: 0.01 })) {
    if (i++ >= n) return;
    yield line;
  }
}

/** `ops track ingest -` fed from the generator; returns the run's JSON summary. */
function ingest(n, seed) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OPS, 'track', 'ingest', '-', '--json'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`ingest exited ${code}`))));
    const it = lines(n, seed);
    const pump = () => {
      for (;;) {
        const next = it.next();
        if (next.done) return child.stdin.end();
        if (!child.stdin.write(`${next.value}\n`)) return child.stdin.once('drain', pump);
      }
    };
    pump();
  });
}

function ops(args) {
  const r = timeCommand([OPS, ...args, '--json'], env);
  if (r.status !== 0) throw new Error(`ops ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  return { ...JSON.parse(r.stdout), wall_ms: r.ms };
}

/** The baseline: one event at a time, in its own transaction, into tables of its own. */
async function rowAtATime(n) {
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  db.on('error', () => {});
  await db.connect();
  await db.query(`create schema baseline;
    create table baseline.events (customer_id text, event_id text, raw_id bigint, event_type text, event_time timestamptz, page text, value numeric, primary key (customer_id, event_id));
    create table baseline.daily_pages (customer_id text, day date, page text, page_views int, primary key (customer_id, day, page));
    create table baseline.daily_conversions (customer_id text, day date, event_type text, conversions int, value numeric, primary key (customer_id, day, event_type));
    create table baseline.state (watermark bigint); insert into baseline.state values (0);`);
  const started = performance.now();
  const { rows } = await db.query('select min(id)::int as lo from raw.events');
  for (let id = rows[0].lo; id < rows[0].lo + n; id++) {
    await db.query('begin');
    try {
      const r = await db.query('select payload from raw.events where id = $1', [id]);
      const p = r.rows[0]?.payload;
      if (p && typeof p === 'object' && typeof p.event_id === 'string' && typeof p.occurred_at === 'string' && !Number.isNaN(Date.parse(p.occurred_at))) {
        const page = typeof p.page_url === 'string' ? p.page_url.split(/[?#]/)[0] : null;
        const ins = await db.query('insert into baseline.events values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing', [
          p.customer_id,
          p.event_id,
          id,
          p.event_type,
          p.occurred_at,
          page,
          typeof p.properties?.value === 'number' ? p.properties.value : null,
        ]);
        if (ins.rowCount === 1 && p.event_type === 'page_view' && page) {
          await db.query(
            `insert into baseline.daily_pages values ($1, ($2::timestamptz at time zone 'UTC')::date, $3, 1)
           on conflict (customer_id, day, page) do update set page_views = baseline.daily_pages.page_views + 1`,
            [p.customer_id, p.occurred_at, page],
          );
        } else if (ins.rowCount === 1 && p.event_type !== 'click') {
          await db.query(
            `insert into baseline.daily_conversions values ($1, ($2::timestamptz at time zone 'UTC')::date, $3, 1, $4)
           on conflict (customer_id, day, event_type) do update set conversions = baseline.daily_conversions.conversions + 1, value = baseline.daily_conversions.value + excluded.value`,
            [p.customer_id, p.occurred_at, p.event_type, typeof p.properties?.value === 'number' ? p.properties.value : 0],
          );
        }
      }
      await db.query('update baseline.state set watermark = $1', [id]);
      await db.query('commit');
    } catch {
      // A bad event: the old way, it is dropped with its transaction.
      await db.query('rollback');
    }
  }
  const ms = performance.now() - started;
  await db.end();
  return ms;
}

/** The 1-minute load average: the machine may be shared, and every figure depends on it. */
const load = () => loadavg()[0].toFixed(1);
const loads = [];

try {
  ops(['migrate']);
  const ingestStarted = performance.now();
  const ingested = await ingest(events, 1);
  const ingestMs = performance.now() - ingestStarted;

  loads.push(load());
  const baselineMs = await rowAtATime(Math.min(sample, events));
  const baselineRate = Math.min(sample, events) / (baselineMs / 1000);

  loads.push(load());
  const run = ops(['process-tracking']);
  loads.push(load());
  const rate = events / (run.duration_ms / 1000);

  const idle = [];
  for (let i = 0; i < 7; i++) idle.push(ops(['process-tracking']));
  if (!idle.every((r) => r.stats.nothing_to_do === true)) throw new Error('a run after processing found work');
  loads.push(load());

  const f = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`tracking pipeline on Postgres, ${f(events)} events, Node ${process.version}, load average ${loads.join(' → ')}`);
  console.log(
    `ingest (ops track ingest -)         ${f(ingestMs)} ms   ${f(events / (ingestMs / 1000))} events/s   (${ingested.stats.kept_as_bytes} lines kept as bytes)`,
  );
  console.log(`process-tracking raw → business      ${f(run.duration_ms)} ms   ${f(rate)} events/s   (wall ${f(run.wall_ms)} ms)`);
  console.log(`  ${JSON.stringify(run.stats)}`);
  console.log(
    `row-at-a-time baseline (${f(Math.min(sample, events))} events)   ${f(baselineMs)} ms   ${f(baselineRate)} events/s   ${(baselineMs / Math.min(sample, events)).toFixed(3)} ms/event`,
  );
  console.log(`ratio                                ${(rate / baselineRate).toFixed(1)}×`);
  console.log(
    `nothing to do (median of ${idle.length})         check query ${median(idle.map((r) => r.stats.check_ms)).toFixed(1)} ms · whole run ${median(idle.map((r) => r.duration_ms)).toFixed(0)} ms · process wall ${median(idle.map((r) => r.wall_ms)).toFixed(0)} ms`,
  );
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
