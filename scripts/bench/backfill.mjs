#!/usr/bin/env node
/**
 * Backfill of one event with N participants (default 1,000,000) from the
 * RunSignUp simulator, end to end through `ops discover-events` on Postgres:
 * rows/s, the ops process's peak RSS (VmHWM, sampled from /proc), API calls
 * against pages needed, and beside them the simulator's own serving rate and
 * a row-at-a-time upsert baseline, measured in the same run.
 * The bar: peak RSS ≤ 200 MB, rows/s ≥ 25× the baseline.
 *
 *   npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench node scripts/bench/backfill.mjs [participants]
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { OPS } from './common.mjs';
import { describeBaseline, fasterBaseline, rowAtATime } from './participant-rows.mjs';

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL to a Postgres database the benchmark may fill (its race tables are emptied)');
const participants = Number(process.argv[2] ?? 1_000_000);
const PAGE = 2500;

const { startRunSignUpSim } = await import('../../dist/src/sandbox/runsignup-sim.js');
const sim = await startRunSignUpSim({ seed: 5, partners: 1, racesPerPartner: 0, hugeEventParticipants: participants, churnPerHour: 0 });
const partner = sim.partners[0];
const event = sim.events()[0];

// The simulator alone: every page fetched as fast as one client can, parsed, dropped.
const params = (page) =>
  new URLSearchParams({
    api_key: partner.apiKey,
    api_secret: partner.apiSecret,
    format: 'json',
    event_id: String(event.eventId),
    page: String(page),
    results_per_page: String(PAGE),
  });
let started = performance.now();
let served = 0;
for (let page = 1; ; page++) {
  const body = await (await fetch(`${sim.baseUrl}/Rest/race/${event.raceId}/participants?${params(page)}`)).json();
  const rows = body[0]?.participants ?? [];
  served += rows.length;
  if (rows.length < PAGE) break;
}
const simRate = served / ((performance.now() - started) / 1000);

// A clean database with one partner.
const raw = new pg.Client({ connectionString: url });
await raw.connect();
const migrate = spawn(process.execPath, [OPS, 'migrate'], { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
await new Promise((r) => migrate.on('close', r));
const baselineBefore = await rowAtATime(url);
await raw.query('truncate participants, sync_history, provider_calls, race_events, races, partners cascade');
await raw.query(`insert into partners (name, provider, key_env, secret_env) values ('Bench Timing', 'runsignup', 'BENCH_KEY', 'BENCH_SECRET')`);
const callsBefore = sim.stats().calls[partner.apiKey] ?? 0;

// CPU seconds from /proc: utime + stime (+ those of reaped children: the ops process, once it has ended).
const TICK = 100; // USER_HZ
const cpuOf = (pid, children = false) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) / TICK;
};
// The Postgres backends serving the benchmark's database (when the server runs on this machine), but the benchmark's own connection.
const database = new URL(url).pathname.slice(1);
const ownBackend = (await raw.query('select pg_backend_pid() as pid')).rows[0].pid;
const backendCpu = new Map();
const sampleBackends = () => {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== ownBackend)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // "postgres: [15/main: ]user database host(port) state"
      if (/^postgres: (?:\S+: )?\S+ (\S+) /.exec(cmd)?.[1] === database) backendCpu.set(pid, cpuOf(pid));
    } catch {}
  }
};
sampleBackends();
const backendsBefore = new Map(backendCpu);
const load = [loadavg()[0]];

// ops discover-events, with its peak RSS sampled from /proc while it runs.
const cpuBefore = { bench: process.cpuUsage(), children: cpuOf('self', true) - cpuOf('self') };
started = performance.now();
// BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the ops process.
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
// Run as a user runs it (the bin's own interpreter line and its flags), unless node flags are given.
const child = spawn(nodeArgs.length ? process.execPath : OPS, [...nodeArgs, ...(nodeArgs.length ? [OPS] : []), 'discover-events', '--json'], {
  env: {
    ...process.env,
    DATABASE_URL: url,
    RUNSIGNUP_BASE_URL: sim.baseUrl,
    BENCH_KEY: partner.apiKey,
    BENCH_SECRET: partner.apiSecret,
    DISCOVER_DAYS_BACK: '30',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let peakKb = 0;
const sample = setInterval(() => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    if (match) peakKb = Math.max(peakKb, Number(match[1]));
  } catch {}
  sampleBackends();
}, 100);
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));
const code = await new Promise((r) => child.on('close', r));
clearInterval(sample);
const seconds = (performance.now() - started) / 1000;
load.push(loadavg()[0]);
const benchCpu = process.cpuUsage(cpuBefore.bench);
const cpu = {
  ops: cpuOf('self', true) - cpuOf('self') - cpuBefore.children,
  simulator: (benchCpu.user + benchCpu.system) / 1e6, // this process: the simulator serving, and the samplers
  postgres: [...backendCpu].reduce((sum, [pid, sec]) => sum + sec - (backendsBefore.get(pid) ?? 0), 0),
};
if (code !== 0) throw new Error(`discover-events exited ${code}: ${stderr.slice(-2000)}`);
// Node's own traces (BENCH_NODE_ARGS=--trace-gc) share stdout: the summary is the JSON after them.
const summary = JSON.parse(stdout.slice(stdout.search(/^\{/m)));
if (nodeArgs.length) console.log(stdout.slice(0, stdout.search(/^\{/m)));
const stored = Number((await raw.query('select count(*) from participants')).rows[0].count);
const calls = (sim.stats().calls[partner.apiKey] ?? 0) - callsBefore;
const baselineAfter = await rowAtATime(url);
const baseline = fasterBaseline(baselineBefore, baselineAfter);
await raw.end();
await sim.close();

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rate = stored / seconds;
const pagesNeeded = Math.floor(participants / PAGE) + 1;
console.log(`backfill of one event with ${fmt(participants)} participants, ops discover-events on Postgres`);
console.log(`  stored ${fmt(stored)} rows in ${seconds.toFixed(1)} s (whole process): ${fmt(rate)} rows/s`);
console.log(`  peak RSS of the ops process: ${Math.round(peakKb / 1024)} MB (bar 200 MB)`);
console.log(`  API calls: ${calls} (pages needed ${pagesNeeded} + 1 race listing); the task counted ${summary.stats.api_calls} in the backfill`);
console.log(`  simulator alone serves ${fmt(simRate)} rows/s (the ceiling here)`);
const perRow = (sec) => `${((sec * 1e6) / stored).toFixed(1)} µs/row`;
console.log(
  `  CPU: ops ${cpu.ops.toFixed(1)} s (${perRow(cpu.ops)}), Postgres backends ${cpu.postgres.toFixed(1)} s (${perRow(cpu.postgres)}), simulator ${cpu.simulator.toFixed(1)} s (${perRow(cpu.simulator)}); load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
);
console.log(`  row-at-a-time upsert baseline: ${describeBaseline(baselineBefore, baselineAfter)}`);
console.log(`  → ${(rate / baseline.rate).toFixed(1)}× the baseline (bar 25×)`);
