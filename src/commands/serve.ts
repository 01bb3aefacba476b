/**
 * `ops serve`: the one long-running command. Opens (and migrates) storage,
 * serves the tracking ingest and health endpoints, runs process-tracking in
 * the background after events arrive. SIGTERM/SIGINT: stop accepting, let the
 * requests in flight finish, write what was accepted, wait for the background
 * run, exit 0 — every event answered 2xx is in raw.events.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { clockStartingAt } from '../core/clock.js';
import { readSettings } from '../core/config.js';
import { errorMessage, ExitCode } from '../core/errors.js';
import { prepare, runTask } from '../core/runner.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import { installSignalHandlers, type SignalScope } from '../core/signals.js';
import type { DatabaseHandle } from '../db/index.js';
import { BackgroundProcessing, type RunProcessing } from '../server/background-processing.js';
import { MAX_BATCH_EVENTS } from '../server/app.js';
import { KeyRateLimit } from '../server/rate-limit.js';
import { RawBuffer } from '../server/raw-buffer.js';
import { serveSettings } from '../server/settings.js';
import type { StartTask } from '../server/task-starter.js';
import { WriteKeys } from '../server/write-keys.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
import type { Output } from '../core/output.js';

export interface ServeOptions {
  port: number;
  host: string;
}

/** How long a clean stop may take before the process ends anyway (143). */
const STOP_GRACE_MS = 60_000;

/**
 * Postgres: each background run is its own `ops process-tracking` process (its
 * own lock and task_logs row; a crash there never takes the ingest down).
 * Embedded: this process holds the database, so the run goes through the
 * runner inside it.
 */
async function processingRunner(handle: DatabaseHandle, output: Output, scope: SignalScope): Promise<RunProcessing> {
  if (handle.kind === 'postgres') {
    return async () => {
      // Its own process group: a Ctrl-C meant for the server does not interrupt it; the server waits for it.
      const child = spawn(process.execPath, [process.argv[1], 'process-tracking'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: process.env,
        detached: true,
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`ops process-tracking exited with ${code}`);
    };
  }
  const [{ processTracking }, { createRunStore }] = await Promise.all([import('../tasks/process-tracking.js'), import('../db/run-store.js')]);
  const prepared = prepare(processTracking);
  const store = { ...createRunStore(handle), close: async () => {} };
  // The server's SIGTERM stops the server, not this run: the server waits for it (a second signal ends both).
  const never = new AbortController().signal;
  return async () => {
    const summary = await runTask(processTracking, {}, prepared, {
      output,
      scope: { ...scope, signal: never },
      clock: clockStartingAt(prepared.runtime.now),
      store: async () => store,
    });
    if (summary.status === 'failed') throw new Error(summary.error ?? 'failed');
  };
}

/** How the admin endpoints start runs: their own processes on Postgres, inside this one on the embedded database. */
async function taskStarter(
  handle: DatabaseHandle,
  output: Output,
  scope: SignalScope,
  reportWithinMs: number,
): Promise<StartTask & { idle?(): Promise<void> }> {
  const { inProcessStarter, processStarter } = await import('../server/task-starter.js');
  if (handle.kind === 'postgres') return processStarter(reportWithinMs);
  const { createRunStore } = await import('../db/run-store.js');
  return inProcessStarter({ ...createRunStore(handle), close: async () => {} }, output, scope);
}

export async function serveCommand(flags: GlobalFlags, options: ServeOptions): Promise<number> {
  const output = createOutput(flags);
  const log = output.log.child({ task: 'serve' });
  const scope = installSignalHandlers(log, STOP_GRACE_MS);
  let handle: DatabaseHandle | undefined;
  try {
    const runtime = readSettings(runtimeSettings);
    const config = readSettings(serveSettings);
    const { processTracking } = await import('../tasks/process-tracking.js');
    if (config.processing) prepare(processTracking); // its settings too, before any work
    const { openStorage } = await import('../db/index.js');
    handle = await openStorage(runtime, log, scope.signal);
    const db = handle.db;
    if (handle.kind === 'embedded') {
      log.warn(
        'embedded database: this server is the only process that can open it (other ops commands wait until it stops); background process-tracking and the tasks started by the admin endpoints run inside it, one at a time. Use DATABASE_URL (Postgres) in production.',
        { data_dir: handle.location },
      );
    }
    const buffer = new RawBuffer(db, { flushRows: config.flushRows, flushMs: config.flushMs, concurrency: config.flushConcurrency }, log);
    const processing = config.processing ? new BackgroundProcessing(await processingRunner(handle, output, scope), config.processDebounceMs, log) : undefined;
    const startTask = await taskStarter(handle, output, scope, config.startReportSeconds * 1000);
    if (handle.kind === 'postgres' && config.startReportSeconds <= runtime.lockWaitSeconds) {
      // A started run waits up to OPS_LOCK_WAIT_SECONDS before it says skipped: its 409 would come as a 504.
      log.warn('OPS_SERVE_START_TIMEOUT_SECONDS is not above OPS_LOCK_WAIT_SECONDS: a run that waits for a held lock is answered 504, not 409', {
        start_timeout_seconds: config.startReportSeconds,
        lock_wait_seconds: runtime.lockWaitSeconds,
      });
    }
    const { buildApp } = await import('../server/app.js');
    const { pendingMigrations } = await import('../db/migrations.js');
    const { sql } = await import('kysely');
    const app = await buildApp({
      db,
      adminToken: config.adminToken,
      keys: new WriteKeys(db, config.keyCacheSeconds * 1000),
      rateLimit: new KeyRateLimit(config.keyRate, MAX_BATCH_EVENTS),
      buffer,
      processing,
      startTask,
      corsOrigins: config.corsOrigins,
      log,
      env: process.env,
      now: clockStartingAt(runtime.now),
      notReady: async () => {
        try {
          await sql`select 1`.execute(db);
          const pending = await pendingMigrations(db);
          return pending.length > 0 ? `migrations pending: ${pending.join(', ')}` : null;
        } catch (err) {
          return `database unreachable: ${errorMessage(err)}`;
        }
      },
    });
    if (scope.signal.aborted) return ExitCode.ok;
    const address = await app.listen({ port: options.port, host: options.host });
    log.info('listening', { url: address, database: handle.kind, cors_origins: config.corsOrigins, rate_per_key: config.keyRate });
    if (output.interactive) output.print(`ops serve: listening on ${address} (${handle.kind} database); Ctrl-C stops`);
    if (!scope.signal.aborted) await once(scope.signal, 'abort');
    log.info('stopping: no new requests; writing the events accepted so far');
    // Fastify closes the connections idle at this instant; keep-alive ones that
    // finish a request later would hold the close open until their timeout.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close().finally(() => clearInterval(sweep)); // waits for the requests in flight, which wait for their insert
    log.debug('http closed');
    await buffer.drain();
    log.debug('buffer drained');
    await processing?.stop();
    await startTask.idle?.();
    const cpu = process.cpuUsage();
    log.info('stopped', { ...buffer.totals, background_runs: processing?.totals.runs ?? 0, cpu_ms: Math.round((cpu.user + cpu.system) / 1000) });
    return ExitCode.ok;
  } catch (err) {
    return reportError(output, err);
  } finally {
    await handle?.close().catch(() => {});
    scope.dispose();
  }
}
