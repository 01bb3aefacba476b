/**
 * The steps process-tracking and the quarantine replay share: chunks of raw
 * rows checked in memory and written to staging (each chunk one transaction),
 * then the business facts in batches (each one transaction). Between two transactions the run checks its
 * signal and may pause, so a stop is clean and a backlog never holds a
 * transaction for long.
 */
import type { Kysely } from 'kysely';
import { settings, type SettingsOf } from '../../core/config.js';
import { sleep } from '../../core/clock.js';
import { throwIfAborted } from '../../core/errors.js';
import type { TaskContext } from '../../core/task.js';
import { VERSION } from '../../core/version.js';
import type { Database } from '../../db/schema.js';
import { countDirty, rebuildDays, rebuildSessions } from '../../db/queries/tracking-business.js';
import { clearBusinessPending } from '../../db/queries/tracking-dirty.js';
import { writeChunk } from '../../db/queries/tracking-outcomes.js';
import { readChunk, type CheckedChunk, type ChunkResult, type ChunkSource } from '../../db/queries/tracking-staging.js';
import { StagingRows } from '../../db/queries/tracking-staging-rows.js';
import { enrichment } from './enrich.js';
import { checkRow, type CheckOptions } from './validate.js';

export const trackingSettings = {
  chunkRows: settings.int('TRACKING_CHUNK_ROWS', 'raw events per staging transaction', { min: 1, max: 500_000 }, { default: 25_000 }),
  businessBatch: settings.int(
    'TRACKING_BUSINESS_BATCH',
    'visitors (or customer-days) recomputed per business transaction',
    { min: 1, max: 1_000_000 },
    { default: 20_000 },
  ),
  businessWorkers: settings.int(
    'TRACKING_BUSINESS_WORKERS',
    'business transactions run at once, each on its own connection (disjoint visitors or days); 1 leaves the database a core',
    { min: 1, max: 8 },
    { default: 2 },
  ),
  lookbackSeconds: settings.int(
    'TRACKING_LOOKBACK_SECONDS',
    'longest time a writer may hold a raw.events insert open before committing; rows committed late are picked up within it',
    { min: 0, max: 86_400 },
    { default: 300 },
  ),
  maxFutureSeconds: settings.int(
    'TRACKING_MAX_FUTURE_SECONDS',
    'an event time further ahead of its arrival is quarantined (future_time)',
    { min: 0, max: 31_536_000 },
    { default: 86_400 },
  ),
  pauseMs: settings.int(
    'TRACKING_CHUNK_PAUSE_MS',
    'pause between two transactions, to leave the database to other work during a backfill',
    { min: 0, max: 60_000 },
    { default: 0 },
  ),
};

export type TrackingConfig = SettingsOf<typeof trackingSettings>;
type Ctx = TaskContext<unknown, TrackingConfig>;

export interface StagingTotals {
  chunks: number;
  read: number;
  staged: number;
  bots: number;
  duplicates: number;
  quarantined: number;
  recovered: number;
}

export const emptyTotals = (): StagingTotals => ({ chunks: 0, read: 0, staged: 0, bots: 0, duplicates: 0, quarantined: 0, recovered: 0 });

function add(totals: StagingTotals, r: ChunkResult): void {
  totals.chunks += 1;
  totals.read += r.rows;
  totals.staged += r.staged;
  totals.bots += r.bots;
  totals.duplicates += r.duplicates;
  totals.quarantined += r.quarantined;
  totals.recovered += r.recovered;
}

async function between(ctx: Ctx): Promise<void> {
  throwIfAborted(ctx.signal);
  if (ctx.config.pauseMs > 0) await sleep(ctx.config.pauseMs, ctx.signal);
}

/**
 * Raw rows read per query while a chunk is prepared. A chunk's rows are read in
 * these slices (in id order, each after the last), checked as each arrives:
 * fewer objects alive at once, which the garbage collector would otherwise
 * copy out of the young generation.
 */
const READ_SLICE = 5_000;

/** Reads a chunk's raw rows and checks them in memory: everything writeChunk needs, made before its transaction. */
async function prepareChunk(db: Kysely<Database>, source: ChunkSource, opts: CheckOptions, stagedAt: Date): Promise<CheckedChunk> {
  const chunk: CheckedChunk = { source, rows: 0, lastRawId: source.after, valid: new StagingRows(VERSION, stagedAt.toISOString(), source.limit), rejected: [] };
  for (;;) {
    const want = Math.min(READ_SLICE, source.limit - chunk.rows);
    const raw = await readChunk(db, { ...source, after: chunk.lastRawId, limit: want });
    for (const row of raw) {
      const checked = checkRow(row, opts);
      if (checked.ok) chunk.valid.add(checked.event);
      else chunk.rejected.push({ rawId: Number(row.id), customerId: checked.customerId, eventId: checked.eventId, problem: checked.problem });
    }
    chunk.rows += raw.length;
    if (raw.length > 0) chunk.lastRawId = Number(raw[raw.length - 1].id);
    if (raw.length < want || chunk.rows >= source.limit) return chunk;
  }
}

/**
 * Runs chunks from `first` on until one reads nothing (or `maxRows` are read);
 * `next` gives the following chunk's source from the last one. Two at a time:
 * while chunk N is written in its transaction, chunk N+1 is read (on another
 * connection) and checked in JavaScript. Raw rows never change and chunk N
 * writes only outcomes of rows up to its last id, which chunk N+1 starts
 * after, so reading ahead sees what reading after the commit would.
 */
export async function stageChunks(
  ctx: Ctx,
  first: ChunkSource,
  next: (last: { lastRawId: number }) => ChunkSource,
  totals: StagingTotals,
  maxRows = Number.POSITIVE_INFINITY,
): Promise<void> {
  const db = ctx.db as Kysely<Database>;
  const opts: CheckOptions = { enrich: enrichment(), maxFutureSeconds: ctx.config.maxFutureSeconds };
  let read = 0;
  let ahead: Promise<CheckedChunk> | null = prepareChunk(db, first, opts, ctx.now());
  while (ahead !== null) {
    const chunk: CheckedChunk = await ahead;
    ahead = null;
    if (chunk.rows === 0) break;
    read += chunk.rows;
    if (read < maxRows) {
      let source = next(chunk);
      if (source.kind !== 'fresh' && source.limit > maxRows - read) source = { ...source, limit: Math.max(1, maxRows - read) };
      ahead = prepareChunk(db, source, opts, ctx.now());
      // Awaited on the next turn; a stop before then must not leave its failure unhandled.
      ahead.catch(() => {});
    }
    const result = await db.transaction().execute((trx) => writeChunk(trx, chunk, { version: VERSION, now: ctx.now(), runId: ctx.runId }));
    add(totals, result);
    ctx.progress.update({ done: totals.read, noun: 'event', label: `${totals.staged} staged · ${totals.quarantined} quarantined` });
    ctx.log.debug('tracking chunk done', { ...result });
    await between(ctx);
  }
}

/**
 * Runs `batch` in transactions until one finds nothing, on `workers`
 * connections at once; each batch claims its rows (skip locked), so the
 * workers share the list. Returns how many rows were done in all. When one
 * worker fails, the others stop after their current batch (each batch is its
 * own transaction, so what committed is whole) and the first failure is
 * thrown only once all have stopped: the run never ends while a worker still
 * writes.
 */
async function drain(ctx: Ctx, workers: number, batch: (trx: Kysely<Database>) => Promise<number>): Promise<number> {
  const db = ctx.db as Kysely<Database>;
  let done = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (!failed) {
        const n = await db.transaction().execute(batch);
        if (n === 0) return;
        done += n;
        await between(ctx);
      }
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: workers }, worker));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  return done;
}

/**
 * Recomputes sessions of every dirty visitor, then (sessions settled) the
 * facts of every dirty day. Batches are no larger than an equal share of the
 * list, so that every worker gets some.
 */
export async function rebuildBusiness(ctx: Ctx): Promise<{ visitors: number; days: number }> {
  const db = ctx.db as Kysely<Database>;
  const { businessBatch, businessWorkers } = ctx.config;
  const share = (n: number) => Math.max(1, Math.min(businessBatch, Math.ceil(n / businessWorkers)));
  const before = await countDirty(db);
  const visitors = await drain(ctx, businessWorkers, (trx) => rebuildSessions(trx, share(before.visitors)));
  const dirtyDays = (await countDirty(db)).days;
  const days = await drain(ctx, businessWorkers, (trx) => rebuildDays(trx, share(dirtyDays)));
  await clearBusinessPending(db);
  return { visitors, days };
}
