/** raw.events writes (ingest) and the pipeline's state: watermark, lookback, work check. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/** One line as ingest hands it over: JSON text for payload, or the bytes as received. */
export type RawLine = { json: string } | { bytes: Uint8Array };

/**
 * Inserts lines in one statement (arrays, not one parameter per value).
 * Throws when Postgres refuses a JSON text (a number out of numeric's range…):
 * the caller then inserts the lines one by one.
 */
export async function insertRawEvents(db: Db, lines: RawLine[], receivedAt: Date, source: string): Promise<void> {
  if (lines.length === 0) return;
  const json = lines.map((l) => ('json' in l ? l.json : null));
  const hex = lines.map((l) => ('bytes' in l ? Buffer.from(l.bytes).toString('hex') : null));
  await sql`
    insert into raw.events (received_at, payload, body, source)
    select ${receivedAt}, j::jsonb, decode(h, 'hex'), ${source} from unnest(${json}::text[], ${hex}::text[]) as t(j, h)`.execute(db);
}

export interface PipelineCheck {
  watermarkId: number;
  settledId: number;
  /** Rows above the watermark exist. */
  fresh: boolean;
  /** The watermark as it stood at least one lookback ago: rows up to it can no longer appear late. */
  settleTo: number;
  /** Business facts still to recompute. */
  dirty: boolean;
}

/** The cheap check a run starts with: index-only probes and a one-row table. */
export async function checkPipeline(db: Db, lookbackSeconds: number): Promise<PipelineCheck> {
  const { rows } = await sql<{ watermark_id: number; settled_id: number; fresh: boolean; settle_to: number | null; dirty: boolean }>`
    select s.watermark_id, s.settled_id,
      -- max(id) is one probe at the end of the primary key; exists (… id > watermark) may be planned as a scan of the table.
      coalesce((select max(id) from raw.events), 0) > s.watermark_id as fresh,
      (select max(watermark_id) from staging.watermarks where at <= now() - make_interval(secs => ${lookbackSeconds})) as settle_to,
      s.business_pending as dirty
    from staging.pipeline_state s`.execute(db);
  const r = rows[0];
  return {
    watermarkId: Number(r.watermark_id),
    settledId: Number(r.settled_id),
    fresh: r.fresh,
    settleTo: Math.max(Number(r.settle_to ?? 0), Number(r.settled_id)),
    dirty: r.dirty,
  };
}

/** After a run read rows: remembers where the watermark stood and when (the lookback's history), and what is settled. */
export async function recordWatermark(db: Db, watermarkId: number, settledId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`insert into staging.watermarks (watermark_id, at) values (${watermarkId}, now())`.execute(trx);
    await sql`update staging.pipeline_state set settled_id = greatest(settled_id, ${settledId})`.execute(trx);
    // History below the settled point is no longer needed.
    await sql`delete from staging.watermarks where watermark_id < (select settled_id from staging.pipeline_state) and at < now() - interval '1 day'`.execute(
      trx,
    );
  });
}

/** One row for insertRawEventRows: its line, when it arrived and from where. */
export interface RawRow {
  line: RawLine;
  receivedAt: Date;
  source: string;
}

/**
 * Rows that arrived at different times from different sources (the HTTP
 * ingest's buffer) in one statement, columns as arrays. The sources go as a
 * short list and an index per row (a text array of the same string repeated
 * costs Postgres more than the JSON), the bytes column only when a row has
 * bytes. Throws as insertRawEvents does when Postgres refuses a JSON text.
 */
export async function insertRawEventRows(db: Db, rows: RawRow[]): Promise<void> {
  if (rows.length === 0) return;
  const sources: string[] = [];
  const indexOf = new Map<string, number>();
  const sourceIndex = rows.map((r) => {
    let i = indexOf.get(r.source);
    if (i === undefined) {
      i = sources.push(r.source);
      indexOf.set(r.source, i);
    }
    return i;
  });
  const json = rows.map((r) => ('json' in r.line ? r.line.json : null));
  const received = rows.map((r) => r.receivedAt.toISOString());
  if (rows.every((r) => 'json' in r.line)) {
    await sql`
      insert into raw.events (received_at, payload, source)
      select r, j::jsonb, (${sources}::text[])[si] from unnest(${received}::timestamptz[], ${json}::text[], ${sourceIndex}::int[]) as t(r, j, si)`.execute(db);
    return;
  }
  const hex = rows.map((r) => ('bytes' in r.line ? Buffer.from(r.line.bytes).toString('hex') : null));
  await sql`
    insert into raw.events (received_at, payload, body, source)
    select r, j::jsonb, decode(h, 'hex'), (${sources}::text[])[si]
    from unnest(${received}::timestamptz[], ${json}::text[], ${hex}::text[], ${sourceIndex}::int[]) as t(r, j, h, si)`.execute(db);
}
