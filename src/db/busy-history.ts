/**
 * How long the embedded database has kept runs out. Every run that found it
 * busy left a file in OPS_DATA_DIR/pending-runs (see pending-runs.ts), and the
 * next process that opens the database moves them into task_logs: the files
 * still there are the consecutive busy skips, the oldest one says since when.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BusyHistory {
  /** Runs recorded as skipped (or failed) because the database was busy, not yet imported. */
  skipped: number;
  /** When the first of them started. */
  since?: Date;
}

export function readBusyHistory(dataDir: string): BusyHistory {
  const dir = join(dataDir, 'pending-runs');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return { skipped: 0 };
  }
  let since: Date | undefined;
  for (const file of files) {
    try {
      const started = new Date(JSON.parse(readFileSync(join(dir, file), 'utf8')).startedAt);
      if (!Number.isNaN(started.getTime()) && (!since || started < since)) since = started;
    } catch {
      /* unreadable: still a skipped run, of unknown time */
    }
  }
  return { skipped: files.length, since };
}

export function describeBusy(history: BusyHistory): string {
  return `${history.skipped} run(s) skipped${history.since ? ` since ${history.since.toISOString()}` : ''} because the embedded database was busy`;
}
