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
  /** readOnly: never create nor migrate (status, logs, batch-status); migrate: false opens without migrating (ops migrate does it itself). */
  options: { readOnly?: boolean; migrate?: boolean; env?: Env; onBusy?: (runtime: RuntimeConfig, err: BusyError) => number } = {},
): Promise<number> {
  let handle: DatabaseHandle | undefined;
  let runtime: RuntimeConfig | undefined;
  try {
    runtime = readSettings(runtimeSettings, options.env ?? process.env);
    const db = await import('../db/index.js');
    if (options.readOnly) handle = await db.openReadOnly(runtime, output.log);
    else if (options.migrate === false) {
      const { openDatabase } = await import('../db/open.js');
      handle = await openDatabase(db.openOptionsFrom(runtime));
    } else handle = await db.openStorage(runtime, output.log);
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
