/**
 * `ops demo`: the first thing a new user runs. Starts the simulators in this
 * process, points ops at them and at a fresh embedded database, runs every
 * task that exists, and shows what happened.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createOutput, type GlobalFlags } from './context.js';
import { runTasks, type TaskCall } from './run-tasks.js';

export async function demoCommand(flags: GlobalFlags, opts: { centers: number }): Promise<number> {
  const output = createOutput(flags);
  const { startSandbox } = await import('../sandbox/index.js');
  // A little latency and the odd 503 / 429, so that progress and retries show.
  const sandbox = await startSandbox({
    centers: opts.centers,
    location: { latencyMs: 40, errorRate: 0.05, rateLimitRate: 0.03, retryAfterSeconds: 1 },
    llm: { latencyMs: 150, rateLimitRate: 0.05, retryAfterSeconds: 1, invalidEventRate: 0.05 },
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
    const code = await runTasks(calls, flags, env);
    if (!flags.json) {
      output.print(output.color.gray(`\nThe database is kept in ${dataDir}; look at it with:`));
      output.print(`  OPS_DATA_DIR=${dataDir} ops status`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops logs`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops batch-status --latest`);
      output.print(`  OPS_DATA_DIR=${dataDir} ops catalogue-status`);
    }
    return code;
  } finally {
    await sandbox.close();
  }
}
