/**
 * airtable-sync: read the Airtable view page by page; a URL new to the
 * catalogue is inserted, a known one takes Airtable's page_status. URLs are
 * matched after normalisation. One transaction per page, so an interrupted
 * run keeps what it committed and a rerun changes nothing.
 */
import type { Kysely } from 'kysely';
import { errorMessage, throwIfAborted } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { normalizeUrl } from '../core/url-normalize.js';
import { findByUrlsOrRecords, insertUrl, moveRecordUrl, setPageStatus } from '../db/queries/catalogue-urls.js';
import type { Database } from '../db/schema.js';
import type { AirtableRecord } from '../integrations/airtable.js';
import { airtableFrom, airtableSettings } from './catalogue/settings.js';

interface Entry {
  recordId: string;
  url: string;
  originalUrl: string;
  pageStatus: string | null;
}

export const airtableSync = defineTask({
  name: 'airtable-sync',
  summary: 'insert new URLs from the Airtable view into the catalogue; apply page_status changes',
  settings: airtableSettings,
  deadlineSeconds: 30 * 60,
  checks: (config) => [{ name: 'Airtable', run: (signal) => airtableFrom(config).probe(signal) }],
  async run(ctx) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    const airtable = airtableFrom(config, ctx.log);
    const counts = { records: 0, pages: 0, inserted: 0, status_changed: 0, moved: 0, unchanged: 0 };
    // Records already taken in this run, by normalised URL: a second record naming the same page is reported.
    const seen = new Map<string, string>();

    const entryOf = (record: AirtableRecord): Entry | undefined => {
      const raw = record.fields[config.airtableUrlField];
      const status = record.fields[config.airtableStatusField];
      const item = record.id || '(record without id)';
      if (!record.id) return void ctx.failItem(item, 'the record has no id');
      if (typeof raw !== 'string' || raw.trim() === '') return void ctx.failItem(item, `the record has no ${config.airtableUrlField} field`);
      let url: string;
      try {
        url = normalizeUrl(raw);
      } catch (err) {
        return void ctx.failItem(item, `${config.airtableUrlField}: ${errorMessage(err)}`);
      }
      const other = seen.get(url);
      if (other && other !== record.id) return void ctx.failItem(item, `names the same page as ${other} (${url}): kept on ${other}`);
      seen.set(url, record.id);
      return { recordId: record.id, url, originalUrl: raw.trim(), pageStatus: typeof status === 'string' && status.trim() ? status.trim() : null };
    };

    let offset: string | undefined;
    do {
      throwIfAborted(signal);
      const page = await airtable.page(offset, signal);
      counts.pages += 1;
      counts.records += page.records.length;
      const entries = page.records.map(entryOf).filter((e): e is Entry => e !== undefined);
      if (!ctx.dryRun) {
        await db.transaction().execute(async (trx) => {
          const known = await findByUrlsOrRecords(
            trx,
            entries.map((e) => e.url),
            entries.map((e) => e.recordId),
          );
          const byUrl = new Map(known.map((k) => [k.url, k]));
          const byRecord = new Map(known.filter((k) => k.airtable_record_id).map((k) => [k.airtable_record_id!, k]));
          for (const e of entries) {
            const same = byUrl.get(e.url);
            if (same) {
              if (same.airtable_record_id && same.airtable_record_id !== e.recordId) {
                ctx.failItem(e.recordId, `names the same page as ${same.airtable_record_id} (${e.url}): kept on ${same.airtable_record_id}`);
              } else if (same.page_status !== e.pageStatus || same.airtable_record_id !== e.recordId) {
                await setPageStatus(trx, same.id, e.pageStatus, e.recordId, ctx.now());
                counts.status_changed += 1;
              } else counts.unchanged += 1;
              continue;
            }
            const moved = byRecord.get(e.recordId);
            if (moved) {
              await moveRecordUrl(trx, moved.id, e, ctx.now());
              counts.moved += 1;
            } else {
              await insertUrl(trx, e, ctx.now());
              counts.inserted += 1;
            }
          }
        });
      }
      ctx.progress.update({ done: counts.records, noun: 'record', label: `page ${counts.pages}` });
      ctx.log.info('Airtable page synced', { page: counts.pages, records: page.records.length });
      offset = page.offset;
    } while (offset);
    await airtable.settled();
    return { ...counts, failed: ctx.failureCount };
  },
});
