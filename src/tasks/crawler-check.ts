/**
 * crawler-check: ask the crawler for URLs updated since the last check; a
 * known URL takes the crawler's status code and is marked for cataloguing
 * again. The bookmark advances only once every page is committed, and a
 * change already applied is never applied twice, so a rerun does nothing.
 */
import type { Kysely } from 'kysely';
import { errorMessage, throwIfAborted } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { normalizeUrl } from '../core/url-normalize.js';
import { advanceBookmark, readBookmark } from '../db/queries/catalogue-bookmarks.js';
import { markCrawlerUpdates } from '../db/queries/catalogue-urls.js';
import type { Database } from '../db/schema.js';
import { crawlerFrom, crawlerSettings } from './catalogue/settings.js';

export const CRAWLER_BOOKMARK = 'crawler-check.updated-since';

export const crawlerCheck = defineTask({
  name: 'crawler-check',
  summary: 'refresh status codes of URLs the crawler saw change; mark them for cataloguing again',
  settings: crawlerSettings,
  deadlineSeconds: 30 * 60,
  checks: (config) => [{ name: 'crawler GraphQL', run: (signal) => crawlerFrom(config).probe(signal) }],
  async run(ctx) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    const crawler = crawlerFrom(config, ctx.log);
    const stored = await readBookmark(db, CRAWLER_BOOKMARK);
    const since = stored ? new Date(stored) : new Date(ctx.now().getTime() - config.crawlerLookbackHours * 3_600_000);
    ctx.log.info('asking the crawler for updated URLs', { since: since.toISOString(), from_bookmark: Boolean(stored) });
    const counts = { pages: 0, updated_urls: 0, marked: 0, unknown: 0, already_applied: 0 };
    let newest = since;
    let after: string | null = null;
    do {
      throwIfAborted(signal);
      const page = await crawler.updatedSince(since, after, signal);
      counts.pages += 1;
      for (const r of page.rejected) ctx.failItem(r.item, r.reason);
      const updates: Array<{ url: string; statusCode: number; updatedAt: Date }> = [];
      for (const node of page.nodes) {
        try {
          updates.push({ ...node, url: normalizeUrl(node.url) });
        } catch (err) {
          ctx.failItem(node.url, errorMessage(err));
          continue;
        }
        if (node.updatedAt > newest) newest = node.updatedAt;
      }
      counts.updated_urls += updates.length;
      if (!ctx.dryRun) {
        const result = await db.transaction().execute((trx) => markCrawlerUpdates(trx, updates, ctx.now()));
        counts.marked += result.marked;
        counts.unknown += result.unknown;
        counts.already_applied += updates.length - result.marked - result.unknown;
      }
      ctx.progress.update({ done: counts.updated_urls, noun: 'URL', label: `page ${counts.pages}` });
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    // Every page is committed: only now may the next check start later.
    if (!ctx.dryRun && (!stored || newest.getTime() > since.getTime())) await advanceBookmark(db, CRAWLER_BOOKMARK, newest.toISOString(), ctx.now());
    return { ...counts, since: since.toISOString(), bookmark: newest.toISOString(), failed: ctx.failureCount };
  },
});
