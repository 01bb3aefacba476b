/** `ops tracking-status`: the tracking pipeline at a glance (the old dashboard endpoint's figures). */
import { ExitCode } from '../core/errors.js';
import type { Output } from '../core/output.js';
import { isUndefinedTable } from '../db/sql-errors.js';
import { recentTrackingRuns, trackingSummary } from '../tasks/tracking/status-summary.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { ago, colorStatus, formatDuration, formatStats } from './summary.js';

/** A database the tracking migration has not reached yet: say so instead of a SQL error. */
export async function withTrackingSchema(output: Output, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (isUndefinedTable(err)) {
      output.log.error('the tracking tables do not exist yet: run "ops migrate" (or any task run) first');
      return ExitCode.failed;
    }
    throw err;
  }
}

export async function trackingStatusCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) =>
      withTrackingSchema(output, async () => {
        const summary = await trackingSummary(db);
        const counts = summary;
        const runs = await recentTrackingRuns(db, 5);
        const lagSeconds = summary.lag_seconds;
        const completion = summary.completion_rate;
        if (flags.json) {
          output.printJson({ ...summary, last_runs: runs });
          return ExitCode.ok;
        }
        const c = output.color;
        output.print(c.bold('tracking pipeline'));
        output.print(
          `  raw ${counts.raw} = staged ${counts.staged} + duplicates ${counts.duplicates} + quarantined ${counts.quarantined} + pending ${counts.pending}`,
        );
        output.print(
          `  bots ${counts.bots} (staged, left out of business facts) · in business facts ${counts.in_business} · awaiting business ${counts.awaiting_business}`,
        );
        const reasons = Object.entries(counts.quarantined_by_reason);
        if (reasons.length > 0)
          output.print(
            `  quarantined by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(' · ')}${counts.recovered ? ` (recovered by replay: ${counts.recovered})` : ''}`,
          );
        output.print(`  latest arrival ${ago(counts.latest_received_at)} · latest event time ${counts.latest_event_time?.toISOString() ?? 'none'}`);
        output.print(`  lag to business ${lagSeconds} s · completion ${(completion * 100).toFixed(2)} %`);
        if (runs.length === 0) output.print(c.gray('  no process-tracking run yet'));
        for (const r of runs) {
          output.print(
            `  ${new Date(r.started_at).toISOString()} ${colorStatus(c, r.status.padEnd(11))} ${formatDuration(r.duration_ms).padStart(7)}  ${formatStats(r.stats)}`,
          );
        }
        return ExitCode.ok;
      }),
    { readOnly: true },
  );
}
