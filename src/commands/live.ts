/** What `status` and `batch-status` show while a run holds the embedded database. */
import { join } from 'node:path';
import { ExitCode, type BusyError } from '../core/errors.js';
import { readLiveStatuses, type LiveStatus } from '../core/live-status.js';
import type { Output } from '../core/output.js';
import type { RuntimeConfig } from '../core/task.js';
import { pidAlive } from '../db/data-dir-lock.js';
import { describeBusy, readBusyHistory } from '../db/busy-history.js';
import { ago } from './summary.js';

export function showLiveRuns(
  output: Output,
  json: boolean | undefined,
  runtime: RuntimeConfig,
  err: BusyError,
  keep: (s: LiveStatus) => boolean = () => true,
): number {
  const running = readLiveStatuses(join(runtime.dataDir, 'live'), pidAlive).filter(keep);
  // Runs that found it busy too: a jam shows as a growing count.
  const history = readBusyHistory(runtime.dataDir);
  if (json) {
    output.printJson({ busy: true, reason: err.message, running, skipped_while_busy: history.skipped, busy_since: history.since?.toISOString() ?? null });
    return running.length ? ExitCode.ok : ExitCode.failed;
  }
  output.print(output.color.yellow(`${err.message}.`));
  if (history.skipped > 0) output.print(output.color.yellow(`${describeBusy(history)}.`));
  if (running.length === 0) {
    output.print('No run in progress reports its progress; history is available once the database is free.');
    return ExitCode.failed;
  }
  output.print('In progress (history is available once the run ends):');
  for (const s of running) {
    const count = s.total !== undefined ? `${s.done ?? 0}/${s.total}` : `${s.done ?? 0}`;
    output.print(
      `  ${s.task.padEnd(14)} ${s.run_id}  ${s.noun ? `${s.noun} ` : ''}${count}${s.label ? ` · ${s.label}` : ''}  ${output.color.gray(`pid ${s.pid}, started ${ago(new Date(s.started_at))}, updated ${ago(new Date(s.updated_at))}`)}`,
    );
  }
  return ExitCode.ok;
}
