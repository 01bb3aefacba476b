/**
 * tracking-replay (`ops tracking-quarantine --replay`): validates quarantined
 * events again with this version's rules, from the raw rows they came from. An
 * event that passes is staged (or counted a duplicate) and its quarantine row
 * records when and by which run it was recovered; one that still fails gets its
 * reason, message and processor version brought up to date. It shares
 * process-tracking's lock: the two never run at once.
 */
import type { Kysely } from 'kysely';
import { defineTask } from '../core/task.js';
import type { Database } from '../db/schema.js';
import { recoveredBy } from '../db/queries/tracking-status.js';
import { emptyTotals, rebuildBusiness, stageChunks, trackingSettings } from './tracking/pipeline.js';

export interface TrackingReplayOptions {
  reason?: string;
  limit?: number;
}

export const trackingReplay = defineTask({
  name: 'tracking-replay',
  summary: 'validate quarantined tracking events again; stage those that now pass',
  settings: trackingSettings,
  lockKey: () => 'process-tracking',
  async run(ctx, options: TrackingReplayOptions) {
    const db = ctx.db as Kysely<Database>;
    const limit = Math.min(ctx.config.chunkRows, options.limit ?? Number.POSITIVE_INFINITY);
    const totals = emptyTotals();
    ctx.log.info('replaying quarantined tracking events', { reason: options.reason ?? 'any', limit: options.limit ?? 'all' });
    // Rows still failing keep their place; `after` walks past them.
    await stageChunks(
      ctx,
      { kind: 'replay', after: 0, limit, reason: options.reason },
      (r) => ({ kind: 'replay', after: r.lastRawId, limit, reason: options.reason }),
      totals,
      options.limit,
    );
    const business = await rebuildBusiness(ctx);
    const recovered = await recoveredBy(db, ctx.runId, 20);
    if (recovered.length > 0) ctx.note(`recovered raw ids: ${recovered.join(', ')}${totals.recovered > recovered.length ? ', …' : ''}`);
    return {
      checked: totals.read,
      recovered: totals.recovered,
      staged: totals.staged,
      duplicates: totals.duplicates,
      still_quarantined: totals.read - totals.recovered,
      visitors_rebuilt: business.visitors,
      days_rebuilt: business.days,
    };
  },
});
