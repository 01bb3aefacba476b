/** Opens storage for a command that is not a task (status, logs, migrate, doctor). */
import { readSettings, type Env } from '../core/config.js';
import { BusyError, ExitCode } from '../core/errors.js';
import type { Output } from '../core/output.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import type { RuntimeConfig } from '../core/task.js';
import type { DatabaseHandle } from '../db/index.js';
import { reportError } from './context.js';

export async function withStorage(
  output: Output,
  fn: (handle: DatabaseHandle, runtime: RuntimeConfig) => Promise<number>,
  options: { migrate?: boolean; env?: Env; onBusy?: (runtime: RuntimeConfig, err: BusyError) => number } = {},
): Promise<number> {
  let handle: DatabaseHandle | undefined;
  let runtime: RuntimeConfig | undefined;
  try {
    runtime = readSettings(runtimeSettings, options.env ?? process.env);
    const db = await import('../db/index.js');
    handle = options.migrate === false ? await (await import('../db/open.js')).openDatabase({ databaseUrl: runtime.databaseUrl, dataDir: runtime.dataDir, waitMs: runtime.lockWaitSeconds * 1000 }) : await db.openStorage(runtime, output.log);
    return await fn(handle, runtime);
  } catch (err) {
    if (err instanceof BusyError) {
      if (options.onBusy && runtime) return options.onBusy(runtime, err);
      output.log.error(err.message);
      return ExitCode.failed;
    }
    return reportError(output, err);
  } finally {
    await handle?.close().catch(() => {});
  }
}
