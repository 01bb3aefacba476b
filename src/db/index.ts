/** Storage as the CLI asks for it: opened, migrated, pending runs imported. */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { RuntimeConfig } from '../core/task.js';
import { openDatabase, type DatabaseHandle } from './open.js';
import { importPendingRuns } from './pending-runs.js';
import { createRunStore } from './run-store.js';

export { writePendingRun } from './pending-runs.js';
export type { DatabaseHandle } from './open.js';

export async function openStorage(runtime: RuntimeConfig, log: Logger, signal?: AbortSignal): Promise<DatabaseHandle> {
  const handle = await openDatabase({ databaseUrl: runtime.databaseUrl, dataDir: runtime.dataDir, waitMs: runtime.lockWaitSeconds * 1000, signal });
  try {
    const store = createRunStore(handle);
    if (runtime.autoMigrate) {
      const applied = await store.migrateToLatest();
      if (applied.length > 0) log.info('database migrated', { applied });
    } else {
      const pending = await store.pendingMigrations();
      if (pending.length > 0) {
        throw new ConfigError('OPS_AUTO_MIGRATE', `the database schema is behind by ${pending.length} migration(s) (${pending.join(', ')}) and OPS_AUTO_MIGRATE is false: run "ops migrate" first`);
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
