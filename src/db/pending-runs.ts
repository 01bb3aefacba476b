/**
 * Runs whose outcome could not be written to task_logs — a skipped run while
 * another process held the embedded database, or a run whose finishRun failed
 * (the database went away at the end) — are kept as one small file each under
 * OPS_DATA_DIR/pending-runs and recorded by the next process that opens
 * storage, on either database. One file per run (written then renamed) means
 * no append races.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { RunEnd, RunStart } from '../core/run-record.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { recordPendingRun } from './queries/task-logs.js';
import type { Database } from './schema.js';

type PendingRun = RunStart & RunEnd;

function folder(dataDir: string): string {
  return join(dataDir, 'pending-runs');
}

export function writePendingRun(dataDir: string, run: PendingRun): void {
  const dir = folder(dataDir);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${run.runId}.tmp`);
  writeFileSync(tmp, JSON.stringify(run));
  renameSync(tmp, join(dir, `${run.runId}.json`));
}

/**
 * Moves pending runs into task_logs (a new row, or the run's own row left
 * `running` completed); each file is removed only after its row is in. A file
 * that cannot be recorded now stays for the next process.
 */
export async function importPendingRuns(db: Kysely<Database>, dataDir: string, log?: Logger): Promise<number> {
  let files: string[];
  try {
    files = readdirSync(folder(dataDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return 0;
  }
  let imported = 0;
  for (const file of files) {
    const path = join(folder(dataDir), file);
    let run: PendingRun;
    try {
      const raw = JSON.parse(readFileSync(path, 'utf8'));
      run = { ...raw, startedAt: new Date(raw.startedAt), finishedAt: new Date(raw.finishedAt) };
    } catch {
      continue; // unreadable (or already taken by another process): leave it for a person to look at
    }
    try {
      await recordPendingRun(db, run);
    } catch (err) {
      log?.warn('a pending run could not be recorded yet', { run_id: run.runId, reason: errorMessage(err) });
      continue;
    }
    try {
      unlinkSync(path);
    } catch {
      // Another process recorded and removed it first: the row is in either way.
    }
    imported += 1;
  }
  return imported;
}
