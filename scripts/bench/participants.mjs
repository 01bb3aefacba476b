#!/usr/bin/env node
/**
 * The participant write path on Postgres, same rows, same run: the sync's bulk
 * upsert (pages of 2500 through unnest, as src/db/queries/participants.ts
 * writes them) and a backfill's pages (COPY text, preparePage and
 * mergePreparedPage) against a row-at-a-time upsert baseline (measured before
 * and after, see participant-rows.mjs) and against a plain COPY of the rows.
 * The bar: ≥ 25× the baseline, ≥ 40 % of COPY.
 *
 *   npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops_bench node scripts/bench/participants.mjs [rows]
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { COLUMNS, describeBaseline, fasterBaseline, participantRows, rowAtATime, rowValues } from './participant-rows.mjs';

const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error('set BENCH_DATABASE_URL to a Postgres database the benchmark may fill (it is migrated, and its participants emptied)');
const total = Number(process.argv[2] ?? 200_000);
const PAGE = 2500;

const { openDatabase } = await import('../../dist/src/db/open.js');
const { mergePreparedPage, preparePage, upsertParticipants } = await import('../../dist/src/db/queries/participants.js');
const handle = await openDatabase({ databaseUrl: url, dataDir: '', waitMs: 5000 });
const { migrateToLatest } = await import('../../dist/src/db/migrations.js');
await migrateToLatest(handle.db);
const raw = new pg.Client({ connectionString: url });
await raw.connect();
const empty = () => raw.query('truncate participants');

const rows = participantRows(total);
const baselineBefore = await rowAtATime(url);

// Bulk upsert, as the sync does it: new rows, then the same rows again (the update path of an incremental sync).
await empty();
let started = performance.now();
for (let i = 0; i < rows.length; i += PAGE) await upsertParticipants(handle.db, 1, 1, rows.slice(i, i + PAGE), new Date());
const bulkInsert = total / ((performance.now() - started) / 1000);
started = performance.now();
for (let i = 0; i < rows.length; i += PAGE) await upsertParticipants(handle.db, 1, 1, rows.slice(i, i + PAGE), new Date());
const bulkUpdate = total / ((performance.now() - started) / 1000);

// A backfill's pages as it writes them on Postgres (prepared as COPY text, merged in a transaction each): new rows, then the same rows again.
const backfillPages = async () => {
  const at = new Date();
  const began = performance.now();
  for (let i = 0; i < rows.length; i += PAGE) {
    const page = await preparePage(handle.db, 1, 1, rows.slice(i, i + PAGE), at);
    await handle.db.transaction().execute((tx) => mergePreparedPage(tx, 1, 1, page, at));
  }
  return total / ((performance.now() - began) / 1000);
};
await empty();
const backfillInsert = await backfillPages();
const backfillUpdate = await backfillPages();

// COPY of the same rows into the same (emptied) table.
await empty();
const copyField = (v) =>
  v === null || v === undefined ? '\\N' : (v instanceof Date ? v.toISOString() : String(v)).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
started = performance.now();
const syncedAt = new Date();
const text = Readable.from(
  (function* () {
    for (let i = 0; i < rows.length; i += PAGE) {
      yield rows
        .slice(i, i + PAGE)
        .map((r) => `${rowValues(1, 1, r, syncedAt).map(copyField).join('\t')}\n`)
        .join('');
    }
  })(),
);
await pipeline(text, raw.query(copyFrom(`copy participants (${COLUMNS.join(', ')}) from stdin`)));
const copy = total / ((performance.now() - started) / 1000);

// The baseline again, after (it is slow: a sample; rows/s is what matters).
const baselineAfter = await rowAtATime(url);
const single = fasterBaseline(baselineBefore, baselineAfter).rate;

await raw.end();
await handle.close();
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`participants write path, Postgres, ${fmt(total)} rows in pages of ${PAGE}`);
console.log(`  bulk upsert (unnest), new rows:      ${fmt(bulkInsert)} rows/s`);
console.log(`  bulk upsert (unnest), same rows:     ${fmt(bulkUpdate)} rows/s`);
console.log(`  backfill pages (COPY), new rows:     ${fmt(backfillInsert)} rows/s`);
console.log(`  backfill pages (COPY), same rows:    ${fmt(backfillUpdate)} rows/s`);
console.log(`  COPY of the same rows:               ${fmt(copy)} rows/s`);
console.log(`  row-at-a-time upsert: ${describeBaseline(baselineBefore, baselineAfter)}`);
console.log(`  bulk / row-at-a-time: ${(bulkInsert / single).toFixed(1)}× (bar 25×) · bulk / COPY: ${Math.round((bulkInsert / copy) * 100)} % (bar 40 %)`);
