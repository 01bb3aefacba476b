/**
 * The tracking pipeline at a glance, as data: what `ops tracking-status --json`
 * prints and what `ops serve` answers on /api/v1/track/status (one place, one shape).
 */
import type { Kysely } from 'kysely';
import { listRuns } from '../../db/queries/task-logs.js';
import { trackingCounts, type TrackingCounts } from '../../db/queries/tracking-status.js';
import type { Database } from '../../db/schema.js';

export interface TrackingSummary extends TrackingCounts {
  lag_seconds: number;
  completion_rate: number;
}

export interface TrackingRun {
  run_id: string;
  status: string;
  started_at: Date;
  duration_ms: number | null;
  stats: Record<string, unknown>;
}

export async function trackingSummary(db: Kysely<Database>, now = Date.now()): Promise<TrackingSummary> {
  const counts = await trackingCounts(db);
  const lagSeconds = counts.oldest_pending_received_at ? Math.max(0, Math.round((now - counts.oldest_pending_received_at.getTime()) / 1000)) : 0;
  const completion = counts.raw === 0 ? 1 : (counts.raw - counts.pending) / counts.raw;
  return { ...counts, lag_seconds: lagSeconds, completion_rate: Math.round(completion * 10_000) / 10_000 };
}

/** The newest process-tracking runs, newest first. */
export async function recentTrackingRuns(db: Kysely<Database>, limit: number): Promise<TrackingRun[]> {
  const runs = await listRuns(db, { task: 'process-tracking', limit });
  return runs.map((r) => ({ run_id: r.run_id, status: r.status, started_at: r.started_at, duration_ms: r.duration_ms, stats: r.stats }));
}
