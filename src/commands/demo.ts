/**
 * `ops demo`: the first thing a new user runs. Starts the simulators in this
 * process, points ops at them and at a fresh embedded database, runs every
 * task that exists, and shows what happened.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createOutput, type GlobalFlags } from './context.js';
import { runTasks, type TaskCall } from './run-tasks.js';
import type { Sandbox } from '../sandbox/index.js';

export async function demoCommand(flags: GlobalFlags, opts: { centers: number }): Promise<number> {
  const output = createOutput(flags);
  const { startSandbox } = await import('../sandbox/index.js');
  // A little latency and the odd 503 / 429, so that progress and retries show.
  const sandbox = await startSandbox({
    centers: opts.centers,
    location: { latencyMs: 40, errorRate: 0.05, rateLimitRate: 0.03, retryAfterSeconds: 1 },
    llm: { latencyMs: 150, rateLimitRate: 0.05, retryAfterSeconds: 1, invalidEventRate: 0.05 },
    runsignup: { partners: 2, racesPerPartner: 3, maxParticipants: 600, latencyMs: 30, throttleRate: 0.02 },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'ops-demo-'));
  const outputDir = resolve(process.env.OPS_OUTPUT_DIR ?? 'output');
  const env = { ...process.env, ...sandbox.env, DATABASE_URL: '', OPS_DATA_DIR: dataDir, OPS_OUTPUT_DIR: outputDir };
  try {
    if (!flags.json) {
      output.print(output.color.bold(`ops demo: ${opts.centers} simulated centers, a fresh embedded database in ${dataDir}`));
      output.print(output.color.gray(`location API ${sandbox.location.baseUrl} · LLM ${sandbox.llm.baseUrl}\n`));
    }
    const [{ syncCenters }, { runBatch }, { dailyTasks }] = await Promise.all([
      import('../tasks/sync-centers.js'),
      import('../tasks/run-batch.js'),
      import('../tasks/daily-tasks.js'),
    ]);
    const calls: TaskCall[] = [
      { task: syncCenters, options: {} },
      { task: runBatch, options: { trigger: 'demo' } },
      // The URL catalogue's four steps; zero-sessions pauses without asking, as under a scheduler.
      { task: dailyTasks, options: { autoUpdate: true } },
    ];
    // Site tracking: a day of generated traffic for 3 customers, ingested then processed raw → staging → business.
    const { trackingTraffic } = await import('../sandbox/tracking-traffic.js');
    const trafficFile = join(dataDir, 'tracking-events.ndjson');
    writeFileSync(trafficFile, `${[...trackingTraffic({ customers: 3, sessions: 150 })].join('\n')}\n`);
    const [{ trackIngest }, { processTracking }] = await Promise.all([import('../tasks/track-ingest.js'), import('../tasks/process-tracking.js')]);
    calls.push({ task: trackIngest, options: { file: trafficFile } }, { task: processTracking, options: {} });
    let code = await runTasks(calls, flags, env);
    code = worstExit(code, await raceDemo(flags, env, sandbox));
    if (!flags.json) {
      output.print(output.color.gray(`\nThe database is kept in ${dataDir}; look at it with:`));
      output.print(`  OPS_DATA_DIR=${dataDir} ops status`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops logs`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops batch-status --latest`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops sync-status`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops tracking-status`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops catalogue-status`);
    }
    return code;
  } finally {
    await sandbox.close();
  }
}

/** The exit code of the worse of two runs (1 over 2 over 0). */
function worstExit(a: number, b: number): number {
  const rank = (c: number) => (c === 0 ? 0 : c === 2 ? 1 : 2);
  return rank(b) > rank(a) ? b : a;
}

/**
 * Race events: a partner of the simulator is added, its races discovered and
 * backfilled; then, five simulated hours later (registrations, edits and
 * removals have kept arriving), the due events are synced.
 */
async function raceDemo(flags: GlobalFlags, env: NodeJS.ProcessEnv, sandbox: Sandbox): Promise<number> {
  const { partnersAddCommand } = await import('./partners.js');
  const [{ discoverEvents }, { syncEvent }] = await Promise.all([import('../tasks/discover-events.js'), import('../tasks/sync-event.js')]);
  const added = await partnersAddCommand(
    { ...flags, json: false, quiet: true },
    { name: sandbox.runsignup.partners[0]!.name, provider: 'runsignup', keyEnv: 'RSU_PARTNER_1_KEY', secretEnv: 'RSU_PARTNER_1_SECRET' },
    env,
  );
  if (added !== 0) return added;
  const discovered = await runTasks([{ task: discoverEvents, options: {} }], flags, env);
  const later = new Date(Date.now() + 5 * 3_600_000);
  sandbox.runsignup.setNow(later);
  const synced = await runTasks([{ task: syncEvent, options: {} }], flags, { ...env, OPS_NOW: later.toISOString() });
  return worstExit(discovered, synced);
}
