/** Storage as the CLI asks for it: opened, migrated, pending runs imported. */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RuntimeConfig } from '../core/task.js';
import { openDatabase, type DatabaseHandle, type OpenOptions } from './open.js';
import { importPendingRuns } from './pending-runs.js';
import { createRunStore } from './run-store.js';

export { writePendingRun } from './pending-runs.js';
export type { DatabaseHandle } from './open.js';

export { readBusyHistory, describeBusy, type BusyHistory } from './busy-history.js';

/** How the runtime settings open the database; `extra` adds a signal or `create: false`. */
export function openOptionsFrom(runtime: RuntimeConfig, extra: Partial<OpenOptions> = {}): OpenOptions {
  return {
    databaseUrl: runtime.databaseUrl,
    dataDir: runtime.dataDir,
    waitMs: runtime.lockWaitSeconds * 1000,
    staleMs: runtime.lockStaleSeconds * 1000,
    ...extra,
  };
}

export async function openStorage(runtime: RuntimeConfig, log: Logger, signal?: AbortSignal): Promise<DatabaseHandle> {
  const handle = await openDatabase(openOptionsFrom(runtime, { signal }));
  try {
    const store = createRunStore(handle);
    if (runtime.autoMigrate) {
      const applied = await store.migrateToLatest();
      if (applied.length > 0) log.info('database migrated', { applied });
    } else {
      const pending = await store.pendingMigrations();
      if (pending.length > 0) {
        throw new ConfigError(
          'OPS_AUTO_MIGRATE',
          `the database schema is behind by ${pending.length} migration(s) (${pending.join(', ')}) and OPS_AUTO_MIGRATE is false: run "ops migrate" first`,
        );
      }
    }
    // Runs that could not be written when they ended (busy embedded database, or task_logs refusing the outcome).
    const imported = await importPendingRuns(handle.db, runtime.dataDir, log);
    if (imported > 0) log.info('recorded runs kept in pending-runs', { count: imported });
    return handle;
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

export async function openRunStore(runtime: RuntimeConfig, log: Logger, signal?: AbortSignal) {
  return createRunStore(await openStorage(runtime, log, signal), runtime.dataDir);
}

/**
 * Storage for a command that only reads (status, logs, batch-status): never
 * creates a database, never migrates (runs skipped while it was busy are
 * still moved into task_logs: that is history, not schema). Pending migrations are
 * reported; a database without our schema at all is a setting pointing at the
 * wrong place.
 */
export async function openReadOnly(runtime: RuntimeConfig, log: Logger): Promise<DatabaseHandle> {
  const handle = await openDatabase(openOptionsFrom(runtime, { create: false }));
  try {
    const pending = await createRunStore(handle).pendingMigrations();
    if (pending.includes('0001_task_logs')) {
      const variable = handle.kind === 'postgres' ? 'DATABASE_URL' : 'OPS_DATA_DIR';
      throw new ConfigError(variable, `the database at ${handle.location} (${variable}) has no ops schema: run "ops migrate" first, or check ${variable}`);
    }
    if (pending.length > 0) {
      log.warn(
        `the database schema is behind by ${pending.length} migration(s) (${pending.join(', ')}): this command does not change it; "ops migrate" or the next task run applies them`,
        { pending },
      );
    }
    // Rows, not schema: runs skipped while the database was busy belong in the history shown.
    if (handle.kind === 'embedded') {
      try {
        await importPendingRuns(handle.db, runtime.dataDir);
      } catch (err) {
        log.warn('runs skipped while the database was busy could not be recorded yet; the next task run will', { reason: (err as Error).message });
      }
    }
    return handle;
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}
