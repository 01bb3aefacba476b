/**
 * process-tracking: raw → staging → business, only when work exists. It starts
 * with one cheap check (index probes above the watermark, the dirty lists, the
 * lookback's history); with nothing to do it records success and ends. Else:
 * rows below the watermark still without an outcome (committed late by a slow
 * writer: the lookback), then rows above it, chunk by chunk, then the business
 * facts of every visitor and day those touched. --reprocess rebuilds the
 * business facts from staging since a date.
 */
import type { Kysely } from 'kysely';
import { defineTask } from '../core/task.js';
import type { Database } from '../db/schema.js';
import { markForReprocess } from '../db/queries/tracking-dirty.js';
import { checkPipeline, recordWatermark } from '../db/queries/tracking-raw.js';
import { emptyTotals, rebuildBusiness, stageChunks, trackingSettings } from './tracking/pipeline.js';

export interface ProcessTrackingOptions {
  reprocess?: boolean;
  /** With reprocess: from this instant on (all of staging when unset). */
  since?: Date;
}

export const processTracking = defineTask({
  name: 'process-tracking',
  summary: 'move site-tracking events raw → staging → business, only when work exists',
  schedule: { cron: '*/5 * * * *' },
  settings: trackingSettings,
  deadlineSeconds: 60 * 60,
  async run(ctx, options: ProcessTrackingOptions) {
    const db = ctx.db as Kysely<Database>;
    const { config } = ctx;
    const checkStarted = performance.now();
    const check = await checkPipeline(db, config.lookbackSeconds);
    const checkMs = Math.round((performance.now() - checkStarted) * 10) / 10;
    const lateWindow = check.watermarkId > check.settledId;
    const settles = check.settleTo > check.settledId;
    if (!options.reprocess && !check.fresh && !check.dirty && !settles) return { nothing_to_do: true, check_ms: checkMs };

    let reprocess: { visitors: number; days: number } | undefined;
    if (options.reprocess) {
      reprocess = await markForReprocess(db, options.since ?? new Date(0));
      ctx.log.info('business facts marked for rebuild', { since: options.since?.toISOString() ?? 'all', ...reprocess });
    }
    ctx.log.info('processing tracking events', { watermark: check.watermarkId, fresh: check.fresh, dirty: check.dirty });

    const late = emptyTotals();
    if (lateWindow && (check.fresh || settles)) {
      const limit = config.chunkRows;
      const upTo = check.watermarkId;
      await stageChunks(ctx, { kind: 'rescan', after: check.settledId, upTo, limit }, (r) => ({ kind: 'rescan', after: r.lastRawId, upTo, limit }), late);
      if (late.read > 0) ctx.log.warn('raw events committed after their turn were picked up (lookback)', { events: late.read });
    }
    const fresh = emptyTotals();
    if (check.fresh) {
      const limit = config.chunkRows;
      await stageChunks(ctx, { kind: 'fresh', after: check.watermarkId, limit }, (r) => ({ kind: 'fresh', after: r.lastRawId, limit }), fresh);
    }
    const watermark = fresh.read > 0 ? (await checkPipeline(db, config.lookbackSeconds)).watermarkId : check.watermarkId;
    if (fresh.read > 0 || settles) await recordWatermark(db, watermark, check.settleTo);

    const business = await rebuildBusiness(ctx);
    const staged = fresh.staged + late.staged;
    const quarantined = fresh.quarantined + late.quarantined;
    if (quarantined > 0) ctx.note(`${quarantined} event(s) quarantined: ops tracking-quarantine shows them with their reasons`);
    return {
      read: fresh.read + late.read,
      staged,
      bots: fresh.bots + late.bots,
      duplicates: fresh.duplicates + late.duplicates,
      quarantined,
      late_commits: late.read,
      chunks: fresh.chunks + late.chunks,
      visitors_rebuilt: business.visitors,
      days_rebuilt: business.days,
      ...(reprocess ? { reprocess_since: options.since?.toISOString() ?? 'all' } : {}),
      check_ms: checkMs,
    };
  },
});
