/**
 * What is due, for one event task: its items, each item's job key and due
 * time, and what the ledger says of it. Pure given the items and the ledger
 * rows, so `ops run-due --plan` and `ops run-due` decide alike.
 */
import { durationMs, type EventTaskDefinition } from '../../core/event-task.js';
import type { EventJobStatus } from '../../db/schema.js';

export type JobDecision =
  /** Its time has come (or development mode runs it now): run it. */
  | 'run'
  /** Its time has come, but it was first seen past its misfire grace: record misfired. */
  | 'misfire'
  /** An earlier attempt failed or its process died: run it again. */
  | 'retry'
  /** Failed as often as the task allows: record failed. */
  | 'give-up'
  /** Another process holds it now. */
  | 'held'
  /** Done, misfired or failed for good: nothing more, ever. */
  | 'finished'
  /** Not due yet. */
  | 'later';

export interface PlannedJob {
  key: string;
  task: string;
  itemId: string;
  environment: string;
  dueAt: Date;
  decision: JobDecision;
  /** The ledger's view, when it has the job. */
  status?: EventJobStatus;
  attempts?: number;
  lastError?: string | null;
}

export interface LedgerRow {
  job_key: string;
  status: EventJobStatus;
  attempts: number;
  lease_until: Date | null;
  last_error: string | null;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_LEASE_SECONDS = 600;

export function jobKey(task: string, itemId: string, environment: string): string {
  return `${task}/${itemId}/${environment}`;
}

export function itemIdOf(task: EventTaskDefinition, item: unknown): string | undefined {
  const id = task.itemId ? task.itemId(item) : (item as { id?: unknown })?.id;
  return id === undefined || id === null || id === '' ? undefined : String(id);
}

/**
 * Every item's job, with its decision at `now`. Development runs a job due
 * later at once (trying a task out); production waits for its time.
 */
export function planJobs(
  task: EventTaskDefinition,
  items: unknown[],
  ledger: Map<string, LedgerRow>,
  at: { now: Date; environment: string; development: boolean },
): { jobs: PlannedJob[]; invalid: string[] } {
  const offset = durationMs(task.offset);
  const grace = durationMs(task.misfireGrace);
  const maxAttempts = task.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const jobs: PlannedJob[] = [];
  const invalid: string[] = [];
  for (const item of items) {
    const itemId = itemIdOf(task, item);
    if (itemId === undefined) {
      invalid.push(`an item of ${task.name} has no id (give the task an itemId(item))`);
      continue;
    }
    const moment = task.eventTime(item);
    if (moment === null) continue;
    if (!(moment instanceof Date) || Number.isNaN(moment.getTime())) {
      invalid.push(`${task.name}/${itemId}: eventTime() did not return a valid Date`);
      continue;
    }
    const key = jobKey(task.name, itemId, at.environment);
    const dueAt = new Date(moment.getTime() + offset);
    const row = ledger.get(key);
    const job: PlannedJob = { key, task: task.name, itemId, environment: at.environment, dueAt, decision: 'later' };
    if (row) Object.assign(job, { status: row.status, attempts: row.attempts, lastError: row.last_error });
    job.decision = decide(row, dueAt, at, grace, Boolean(task.runLate), maxAttempts);
    jobs.push(job);
  }
  jobs.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key));
  return { jobs, invalid };
}

function decide(
  row: LedgerRow | undefined,
  dueAt: Date,
  at: { now: Date; development: boolean },
  grace: number,
  runLate: boolean,
  maxAttempts: number,
): JobDecision {
  const now = at.now.getTime();
  if (!row) {
    if (dueAt.getTime() > now) return at.development ? 'run' : 'later';
    return now - dueAt.getTime() > grace && !runLate ? 'misfire' : 'run';
  }
  if (row.status === 'done' || row.status === 'misfired' || row.status === 'failed') return 'finished';
  if (row.status === 'running' && row.lease_until && row.lease_until.getTime() > now) return 'held';
  return row.attempts >= maxAttempts ? 'give-up' : 'retry';
}
