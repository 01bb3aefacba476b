/**
 * Runs that could not be written because another process held the embedded
 * database (a skipped run) are kept as one small file each under
 * OPS_DATA_DIR/pending-runs and moved into task_logs by the next process that
 * opens it. One file per run (written then renamed) means no append races.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { RunEnd, RunStart } from '../core/runner.js';
import { insertFinishedRun } from './queries/task-logs.js';
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

/** Moves pending runs into task_logs; each file is removed only after its row is in. */
export async function importPendingRuns(db: Kysely<Database>, dataDir: string): Promise<number> {
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
      continue; // unreadable: leave it for a person to look at
    }
    await insertFinishedRun(db, run);
    unlinkSync(path);
    imported += 1;
  }
  return imported;
}
