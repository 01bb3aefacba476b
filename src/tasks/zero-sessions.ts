/**
 * zero-sessions: sessions per URL over the last N days from BigQuery (each
 * result stored with its time and SQL; --cache reuses the last one); active
 * URLs with none are paused in Airtable, 10 records a PATCH. Without
 * --auto-update a person confirms on a terminal; with no terminal nothing
 * changes and the run reports what it would pause.
 */
import type { Kysely } from 'kysely';
import { errorMessage, isAbortError, OpsError, throwIfAborted, UpstreamError } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { normalizeUrl } from '../core/url-normalize.js';
import { lastResult, storeResult } from '../db/queries/bigquery-results.js';
import { activeRecords, setPageStatusByRecords } from '../db/queries/catalogue-urls.js';
import type { Database } from '../db/schema.js';
import { PATCH_MAX_RECORDS } from '../integrations/airtable.js';
import { airtableFrom, airtableSettings, bigqueryFrom, bigquerySettings } from './catalogue/settings.js';

export interface ZeroSessionsOptions {
  autoUpdate?: boolean;
  cache?: boolean;
  days?: number;
  dryRun?: boolean;
  /** Asks a person on a terminal; absent when there is none. */
  confirm?: (question: string, signal?: AbortSignal) => Promise<boolean>;
}

const PAUSED = 'Paused';
const SHOWN = 20;

export const zeroSessions = defineTask({
  name: 'zero-sessions',
  summary: 'pause in Airtable the active URLs with zero sessions over the last N days (BigQuery)',
  settings: { ...airtableSettings, ...bigquerySettings },
  deadlineSeconds: 30 * 60,
  checks: (config) => [
    { name: 'BigQuery', run: () => bigqueryFrom(config).probe() },
    { name: 'Airtable', run: (signal) => airtableFrom(config).probe(signal) },
  ],
  async run(ctx, options: ZeroSessionsOptions) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    const days = options.days ?? 30;

    let rows: Array<{ url: string; sessions: number }>;
    let source: string;
    if (options.cache) {
      const cached = await lastResult(db);
      if (!cached) throw new OpsError('--cache: no stored BigQuery result yet; run ops zero-sessions without --cache once');
      if (cached.params.days !== undefined && cached.params.days !== days)
        ctx.note(`--cache: the stored result covers ${cached.params.days} days, not ${days}`);
      rows = cached.rows;
      source = `cached result ${cached.id} of ${cached.fetchedAt.toISOString()}`;
    } else {
      const result = await bigqueryFrom(config).sessionsByUrl(days, signal);
      for (const r of result.rejected) ctx.failItem(r.item, r.reason);
      const id = await storeResult(db, { sql: result.sql, params: result.params, rows: result.rows, fetchedAt: ctx.now() });
      rows = result.rows;
      source = `BigQuery result ${id}`;
    }
    // An empty answer (a broken export, a wrong table) would pause every page.
    if (rows.length === 0) throw new OpsError(`${source} has no rows for the last ${days} days: not trusted to pause anything`);

    const sessions = new Map<string, number>();
    for (const row of rows) {
      try {
        const url = normalizeUrl(row.url);
        sessions.set(url, (sessions.get(url) ?? 0) + row.sessions);
      } catch (err) {
        ctx.failItem(row.url, errorMessage(err));
      }
    }
    // A page with no row had no sessions: that is how session exports leave it out.
    const zero = (await activeRecords(db)).filter((r) => (sessions.get(r.url) ?? 0) === 0);
    const stats = { days, source, rows: rows.length, active_with_zero: zero.length, paused: 0, failed: 0 };
    const list = `${zero
      .slice(0, SHOWN)
      .map((z) => z.url)
      .join(', ')}${zero.length > SHOWN ? ` … ${zero.length - SHOWN} more` : ''}`;
    if (zero.length === 0) return { ...stats, failed: ctx.failureCount };

    const question = `Pause ${zero.length} URL(s) with zero sessions in Airtable? ${list}`;
    const go = !ctx.dryRun && (options.autoUpdate || (options.confirm ? await options.confirm(question, signal) : false));
    if (!go) {
      const why = ctx.dryRun ? '--dry-run' : options.confirm ? 'not confirmed' : 'no terminal to confirm on and no --auto-update';
      ctx.note(`${why}: nothing changed in Airtable; would pause ${zero.length}: ${list}`);
      return { ...stats, would_pause: zero.length, failed: ctx.failureCount };
    }

    const airtable = airtableFrom(config, ctx.log);
    for (let i = 0; i < zero.length; i += PATCH_MAX_RECORDS) {
      throwIfAborted(signal);
      const chunk = zero.slice(i, i + PATCH_MAX_RECORDS);
      try {
        const updated = await airtable.patch(
          chunk.map((z) => ({ id: z.airtable_record_id, fields: { [config.airtableStatusField]: PAUSED } })),
          signal,
        );
        await setPageStatusByRecords(db, updated, PAUSED, ctx.now());
        stats.paused += updated.length;
        for (const z of chunk) if (!updated.includes(z.airtable_record_id)) ctx.failItem(z.airtable_record_id, `Airtable did not update it (${z.url})`);
      } catch (err) {
        if (isAbortError(err) || signal.aborted) throw err;
        if (!(err instanceof UpstreamError)) throw err;
        for (const z of chunk) ctx.failItem(z.airtable_record_id, `${z.url}: ${errorMessage(err)}`);
      }
      ctx.progress.update({ done: Math.min(i + PATCH_MAX_RECORDS, zero.length), total: zero.length, noun: 'URL' });
    }
    await airtable.settled();
    return { ...stats, failed: ctx.failureCount };
  },
});
