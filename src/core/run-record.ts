/**
 * What a run records and where: the task_logs row's two halves (start, end),
 * the summary a command prints, and the storage interface the runner writes
 * them through (src/db implements it for Postgres and the embedded database).
 */
import type { ItemFailure, RunStatus, Stats } from './task.js';

/** Most failures kept on one task_logs row; the count is always exact. */
export const MAX_RECORDED_FAILURES = 200;

export interface RunStart {
  runId: string;
  task: string;
  lockKey: string;
  startedAt: Date;
  host: string;
  pid: number;
  args: Record<string, unknown>;
  /** The run this one is a step of, when it is one. */
  parentRunId?: string;
}

export interface RunEnd {
  runId: string;
  status: Exclude<RunStatus, 'running'>;
  finishedAt: Date;
  durationMs: number;
  stats: Stats;
  error?: string;
  failures: ItemFailure[];
  failureCount: number;
}

export interface LockHolder {
  runId: string;
  host: string | null;
  pid: number | null;
  startedAt: Date;
}

/** What the runner needs from storage; src/db implements it for Postgres and the embedded database. */
export interface RunStore<DB = unknown> {
  readonly db: DB;
  readonly kind: 'postgres' | 'embedded';
  /** Aborts, with the reason, when storage loses a connection a run was using; the run is then failed. */
  readonly connectionLost?: AbortSignal;
  migrateToLatest(): Promise<string[]>;
  pendingMigrations(): Promise<string[]>;
  /** Takes the named lock, waiting up to waitMs; null when another run keeps it. `onLost`: the lock went away while held. */
  acquireLock(key: string, waitMs: number, signal: AbortSignal, onLost?: (reason: string) => void): Promise<(() => Promise<void>) | null>;
  /** Rows of this lock left `running` by a process that is gone; called while holding the lock. */
  markStaleRuns(lockKey: string, foundBy: string, now: Date): Promise<number>;
  runningHolder(lockKey: string): Promise<LockHolder | undefined>;
  startRun(run: RunStart): Promise<void>;
  finishRun(run: RunEnd): Promise<void>;
  /** A run that never ran (skipped), written whole in one statement. */
  recordFinishedRun(run: RunStart & RunEnd): Promise<void>;
  /**
   * Keeps a run whose outcome task_logs would not take (finishRun failed)
   * outside the database; the next process that opens storage records it.
   */
  keepPendingRun?(run: RunStart & RunEnd): Promise<void>;
  close(): Promise<void>;
}

export interface RunSummary {
  run_id: string;
  task: string;
  status: Exclude<RunStatus, 'running'>;
  exit_code: number;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  stats: Stats;
  failures: ItemFailure[];
  failure_count: number;
  error?: string;
  notes: string[];
}
