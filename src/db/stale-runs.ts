/**
 * Runs recorded `running` whose process is gone. Decidable without timers: a
 * live run holds its lock, so a `running` row whose lock can be taken is stale.
 */
import type { DatabaseHandle } from './open.js';

export async function findStaleRuns(handle: DatabaseHandle): Promise<Array<{ run_id: string; task: string; lock_key: string }>> {
  const running = await handle.db.selectFrom('task_logs').select(['run_id', 'task', 'lock_key']).where('status', '=', 'running').execute();
  const stale = [];
  for (const row of running) {
    // On the embedded database we hold the folder lock: no other process can be running.
    const release = await handle.acquireLock(row.lock_key, 0);
    if (release) {
      stale.push(row);
      await release();
    }
  }
  return stale;
}
