/**
 * sync-centers: fetch the slug list, then each slug's details with bounded
 * concurrency, validate, and upsert `centers` by center_id — one statement per
 * center, so an interrupted run keeps what it finished and a rerun is the same.
 * A center the API no longer lists is reported, never deleted.
 */
import pLimit from 'p-limit';
import type { Kysely } from 'kysely';
import { settings, type SettingsOf } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { errorMessage, InterruptedError, isAbortError, OpsError, throwIfAborted, UpstreamError, ValidationError } from '../core/errors.js';
import { unsafeSegmentReason } from '../core/safe-name.js';
import { defineTask } from '../core/task.js';
import { countCenters, deactivateCenters, findMissingCenters, upsertCenter, type UpsertOutcome } from '../db/queries/centers.js';
import type { Database } from '../db/schema.js';
import { LocationApi, type CenterRecord } from '../integrations/location-api.js';

export interface SyncCentersOptions {
  deactivateMissing?: boolean;
  dryRun?: boolean;
}

export const locationSettings = {
  slugApiUrl: settings.url('LOCATION_SLUG_API_URL', 'URL of the center slug list', {
    required: 'for sync-centers',
    example: 'https://locations.internal/slugs',
  }),
  dataApiUrl: settings.url('LOCATION_DATA_API_URL', 'base URL of center details (/slug/{slug} is appended)', {
    required: 'for sync-centers',
    example: 'https://locations.internal/data',
  }),
  apiKey: settings.secret('LOCATION_API_KEY', 'sent as X-API-Key and Authorization: Bearer'),
  concurrency: settings.int('LOCATION_CONCURRENCY', 'detail requests in flight at once', { min: 1, max: 50 }, { default: 5 }),
  timeoutSeconds: settings.number('LOCATION_TIMEOUT_SECONDS', 'timeout of one request', { min: 1, max: 300 }, { default: 15 }),
  attempts: settings.int('LOCATION_ATTEMPTS', 'attempts per request (network errors, 5xx, 429)', { min: 1, max: 10 }, { default: 3 }),
  ratePerSecond: settings.int('LOCATION_RATE_LIMIT', 'most requests per second to the location API (unset: no limit)', { min: 1, max: 10_000 }),
};

export const syncCentersSettings = {
  ...locationSettings,
  maxMissingShare: settings.number(
    'LOCATION_MAX_MISSING_SHARE',
    'largest share of active centers --deactivate-missing may deactivate in one run; above it the run refuses (partial)',
    { min: 0, max: 1 },
    { default: 0.2 },
  ),
};

/** The item under which a refused deactivation is reported. */
const DEACTIVATION_ITEM = '--deactivate-missing';

export function locationApiFrom(config: SettingsOf<typeof locationSettings>, log?: Logger): LocationApi {
  return new LocationApi(
    {
      slugApiUrl: config.slugApiUrl,
      dataApiUrl: config.dataApiUrl,
      apiKey: config.apiKey,
      timeoutMs: config.timeoutSeconds * 1000,
      attempts: config.attempts,
      ratePerSecond: config.ratePerSecond,
    },
    log,
  );
}

export const syncCenters = defineTask({
  name: 'sync-centers',
  summary: 'fetch centers from the location APIs and upsert them',
  settings: syncCentersSettings,
  deadlineSeconds: 30 * 60,
  checks: (config) => [{ name: 'location API', run: (signal) => locationApiFrom(config).probe(signal) }],
  async run(ctx, options: SyncCentersOptions) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    const api = locationApiFrom(config, ctx.log);

    const list = await api.listSlugs(signal);
    for (const r of list.rejected) ctx.failItem(r.entry, r.reason);
    const slugs: string[] = [];
    for (const slug of list.slugs) {
      const unsafe = unsafeSegmentReason(slug);
      if (unsafe) ctx.failItem(slug, `unsafe slug (${unsafe}): not requested`);
      else slugs.push(slug);
    }
    ctx.log.info('slug list fetched', { slugs: list.slugs.length, pages: list.pages });

    const counts: Record<UpsertOutcome | 'fetched', number> = { fetched: 0, inserted: 0, updated: 0, unchanged: 0 };
    const seen = new Set<string>();
    let done = 0;
    const limit = pLimit(config.concurrency);
    ctx.progress.update({ done, total: slugs.length, noun: 'center' });
    // Anything but an upstream or validation error (the database refusing writes, a bug) fails the whole run.
    let fatal: unknown;

    const syncOne = async (slug: string) => {
      if (signal.aborted || fatal) return;
      try {
        const record = await api.getCenter(slug, signal);
        if (!record) {
          ctx.failItem(slug, 'not found (404): the data API has no center for this slug');
          return;
        }
        counts.fetched += 1;
        seen.add(record.centerId);
        if (!ctx.dryRun) counts[await upsertCenter(db, toRow(record), ctx.now())] += 1;
      } catch (err) {
        if (isAbortError(err) || signal.aborted) return;
        if (err instanceof UpstreamError || err instanceof ValidationError) ctx.failItem(slug, errorMessage(err));
        else if (!fatal) {
          // Not limit.clearQueue(): it drops queued promises unsettled and Promise.all would never end.
          fatal = err instanceof OpsError ? err : new OpsError(`center ${slug} could not be stored: ${errorMessage(err)}`, { cause: err });
        }
      } finally {
        done += 1;
        ctx.progress.update({ done, total: slugs.length, noun: 'center', label: slug });
      }
    };
    await Promise.all(slugs.map((slug) => limit(() => syncOne(slug))));
    throwIfAborted(signal);
    if (fatal) throw fatal;
    const centersFailed = ctx.failureCount;

    // A center fetched under another slug is not missing.
    const missing = (await findMissingCenters(db, list.slugs)).filter((m) => !seen.has(m.center_id));
    let deactivated = 0;
    if (missing.length > 0) {
      ctx.log.warn('centers no longer listed by the API', { count: missing.length, slugs: missing.slice(0, 20).map((m) => m.slug) });
      if (options.deactivateMissing && !ctx.dryRun) {
        const refusal = deactivationRefusal(list.slugs.length, list.rejected.length, missing.length, (await countCenters(db)).active, config.maxMissingShare);
        if (refusal) {
          ctx.failItem(
            DEACTIVATION_ITEM,
            `${refusal}: ${missing.length} center(s) kept active (${missing
              .slice(0, 20)
              .map((m) => m.slug)
              .join(', ')})`,
          );
        } else {
          deactivated = await deactivateCenters(
            db,
            missing.map((m) => m.center_id),
            ctx.now(),
          );
          ctx.note(`deactivated ${deactivated} center(s) the API no longer lists: ${missing.map((m) => m.slug).join(', ')}`);
        }
      } else {
        ctx.note(
          `${missing.length} active center(s) are no longer listed by the API (kept; --deactivate-missing sets them inactive): ${missing.map((m) => m.slug).join(', ')}`,
        );
      }
    }
    if (signal.aborted) throw new InterruptedError();
    const stats = {
      slugs: list.slugs.length,
      ...counts,
      failed: ctx.failureCount,
      missing: missing.length,
      deactivated,
    };
    if (counts.fetched === 0 && centersFailed > 0) {
      return { stats, status: 'failed' as const, error: `every center failed (${centersFailed}); first reason: ${ctx.failures[0]?.reason ?? 'unknown'}` };
    }
    return stats;
  },
});

/**
 * Why the slug list cannot be trusted to deactivate centers, if it cannot: an
 * upstream answering [] or half a list would otherwise switch off every center.
 */
export function deactivationRefusal(listed: number, rejected: number, missing: number, active: number, maxShare: number): string | undefined {
  if (listed === 0) return 'the slug list is empty: not trusted to deactivate centers';
  if (rejected > 0) return `the slug list is not complete (${rejected} entr${rejected === 1 ? 'y' : 'ies'} rejected): not trusted to deactivate centers`;
  const share = active > 0 ? missing / active : 0;
  if (share > maxShare) {
    return `${missing} of ${active} active centers (${Math.round(share * 100)} %) are missing from the slug list, more than LOCATION_MAX_MISSING_SHARE (${maxShare}): not trusted to deactivate centers`;
  }
  return undefined;
}

function toRow(record: CenterRecord) {
  return {
    centerId: record.centerId,
    centerName: record.centerName,
    slug: record.slug,
    zipCode: record.zipCode,
    city: record.city,
    state: record.state,
    country: record.country,
    radius: record.radius,
    ownerEmail: record.ownerEmail,
    isActive: record.isActive,
    locationData: record.raw,
  };
}
