/** The runner's storage (core/runner RunStore) on top of an open database. */
import type { RunStore } from '../core/run-record.js';
import { migrateToLatest, pendingMigrations } from './migrations.js';
import type { DatabaseHandle } from './open.js';
import { writePendingRun } from './pending-runs.js';
import * as taskLogs from './queries/task-logs.js';
import type { Database } from './schema.js';
import type { Kysely } from 'kysely';

/** `dataDir`: where runs task_logs would not take are kept (pending-runs); without it they are only logged. */
export function createRunStore(handle: DatabaseHandle, dataDir?: string): RunStore<Kysely<Database>> & { handle: DatabaseHandle } {
  const { db } = handle;
  return {
    handle,
    db,
    kind: handle.kind,
    connectionLost: handle.connectionLost,
    migrateToLatest: () => migrateToLatest(db),
    pendingMigrations: () => pendingMigrations(db),
    acquireLock: (key, waitMs, signal, onLost) => handle.acquireLock(key, waitMs, signal, onLost),
    // On the embedded database this process holds the folder lock, so every
    // `running` row is a dead process's; on Postgres only this lock's rows are known dead.
    markStaleRuns: (lockKey, foundBy, now) => taskLogs.markStaleRuns(db, handle.kind === 'embedded' ? undefined : lockKey, foundBy, now),
    runningHolder: (lockKey) => taskLogs.runningHolder(db, lockKey),
    startRun: (run) => taskLogs.insertRun(db, run),
    // After a lost connection the pool may hand out a client whose socket is already dead.
    finishRun: (run) =>
      handle.connectionLost?.aborted && handle.withFreshConnection
        ? handle.withFreshConnection((fresh) => taskLogs.finishRun(fresh, run))
        : taskLogs.finishRun(db, run),
    recordFinishedRun: (run) => taskLogs.insertFinishedRun(db, run),
    keepPendingRun: dataDir === undefined ? undefined : async (run) => writePendingRun(dataDir, run),
    close: () => handle.close(),
  };
}
