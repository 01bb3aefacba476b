/**
 * raw → staging for one bounded chunk. readChunk hands the task a chunk's raw
 * rows (the payload as Postgres' own JSON text, with the few values whose text
 * must stay exact); the task validates and types them in memory
 * (tasks/tracking/validate) and writeChunk stores the outcome of every row in
 * the caller's transaction with a few set-based statements: one COPY of the
 * staged rows, then the duplicates, the quarantine and the dirty visitors.
 * No statement runs per row.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { copyField } from '../copy.js';
import type { StagingRows } from './tracking-staging-rows.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/** Which raw rows a chunk takes. */
export type ChunkSource =
  /** Rows above the watermark: never read before. */
  | { kind: 'fresh'; after: number; limit: number }
  /** Rows at or below the watermark without an outcome: committed after their turn (the lookback). */
  | { kind: 'rescan'; after: number; upTo: number; limit: number }
  /** Quarantined rows, validated again. */
  | { kind: 'replay'; after: number; limit: number; reason?: string };

/** A raw row as the task validates it (bigint columns may come as text or bigint: read them with Number). */
export interface RawEventRow {
  id: number | string;
  receivedSec: number | string;
  receivedUs: number;
  /** The bytes as received, when they were not a JSON payload. */
  body: Uint8Array | null;
  /** The payload without sent_at, as Postgres prints jsonb (its md5 is the content hash). */
  doc: string | null;
  /** payload->'sent_at' and payload->'properties' as JSON text. */
  sentAt: string | null;
  properties: string | null;
  /** properties.value as Postgres prints the number (exact, where a JavaScript number would round it). */
  value: string | null;
}

export interface UrlFacts {
  error: string | null;
  url?: string;
  origin?: string;
  path?: string;
  query?: string;
  utm_source?: string | null;
  utm_medium?: string | null;
  utm_campaign?: string | null;
  utm_term?: string | null;
  utm_content?: string | null;
  gclid?: string | null;
  fbclid?: string | null;
  msclkid?: string | null;
}

/** A valid event, typed; times as text Postgres reads exactly. */
export interface StagedEvent {
  rawId: number;
  customerId: string;
  eventId: string;
  eventType: string;
  eventTime: string;
  occurredAt: string;
  sentAt: string | null;
  receivedAt: string;
  visitorKey: string;
  sessionId: string | null;
  anonymousId: string | null;
  userId: string | null;
  url: UrlFacts | null;
  referrer: string | null;
  referrerHost: string | null;
  /** jsonb text. */
  properties: string;
  value: string | null;
  userAgent: string | null;
  isBot: boolean;
  contentHash: string;
}

/** A row that failed validation: [reason, path, detail]. */
export interface RejectedRow {
  rawId: number;
  customerId: string | null;
  eventId: string | null;
  problem: [string, string, string];
}

/** A chunk read and checked, ready to write. */
export interface CheckedChunk {
  source: ChunkSource;
  rows: number;
  lastRawId: number;
  valid: StagingRows;
  rejected: RejectedRow[];
}

export interface ChunkResult {
  rows: number;
  lastRawId: number;
  staged: number;
  bots: number;
  duplicates: number;
  quarantined: number;
  recovered: number;
}

function sourceCondition(source: ChunkSource): RawBuilder<unknown> {
  if (source.kind === 'fresh') {
    return sql`r.id > ${source.after} order by r.id limit ${source.limit}`;
  }
  if (source.kind === 'rescan') {
    return sql`r.id in (select id from raw.events o where o.id > ${source.after} and o.id <= ${source.upTo}
      and not exists (select 1 from staging.events s where s.raw_id = o.id)
      and not exists (select 1 from staging.duplicates d where d.raw_id = o.id)
      and not exists (select 1 from staging.quarantine q where q.raw_id = o.id)
      order by o.id limit ${source.limit}) order by r.id`;
  }
  const reason = source.reason === undefined ? sql`` : sql`and reason = ${source.reason}`;
  return sql`r.id in (select raw_id from staging.quarantine where recovered_at is null and raw_id > ${source.after} ${reason} order by raw_id limit ${source.limit})
    order by r.id`;
}

/**
 * A chunk's raw rows, in id order, as the driver gives them (no copy per row:
 * a chunk's objects should die young). Raw rows never change, so this may run
 * outside (and ahead of) the chunk's transaction.
 */
export async function readChunk(db: Db, source: ChunkSource): Promise<RawEventRow[]> {
  const { rows } = await sql<RawEventRow>`
    select r.id, floor(extract(epoch from r.received_at))::bigint as "receivedSec",
      (extract(microseconds from r.received_at)::bigint % 1000000)::int as "receivedUs",
      r.body,
      (case when jsonb_typeof(r.payload) = 'object' and r.payload ? 'sent_at' then r.payload - 'sent_at' else r.payload end)::text as doc,
      (r.payload->'sent_at')::text as "sentAt",
      (r.payload->'properties')::text as properties,
      case when jsonb_typeof(r.payload->'properties'->'value') = 'number' then r.payload->'properties'->>'value' end as value
    from raw.events r where ${sourceCondition(source)}`.execute(db);
  return rows;
}

export const STAGING_COLUMNS = [
  'customer_id',
  'event_id',
  'raw_id',
  'event_type',
  'event_time',
  'occurred_at',
  'sent_at',
  'received_at',
  'visitor_key',
  'session_id',
  'anonymous_id',
  'user_id',
  'page_url',
  'page_origin',
  'page_path',
  'page_query',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'msclkid',
  'referrer',
  'referrer_host',
  'properties',
  'value',
  'user_agent',
  'is_bot',
  'content_hash',
  'processor_version',
  'staged_at',
] as const;

/** One staging.events row in COPY's text format (STAGING_COLUMNS' order), with its newline. */
export function stagingLine(e: StagedEvent, version: string, stagedAt: string): string {
  const u = e.url;
  const fields = [
    e.customerId,
    e.eventId,
    e.rawId,
    e.eventType,
    e.eventTime,
    e.occurredAt,
    e.sentAt,
    e.receivedAt,
    e.visitorKey,
    e.sessionId,
    e.anonymousId,
    e.userId,
    u?.url,
    u?.origin,
    u?.path,
    u?.query,
    u?.utm_source,
    u?.utm_medium,
    u?.utm_campaign,
    u?.utm_term,
    u?.utm_content,
    u?.gclid,
    u?.fbclid,
    u?.msclkid,
    e.referrer,
    e.referrerHost,
    e.properties,
    e.value,
    e.userAgent,
    e.isBot ? 't' : 'f',
    e.contentHash,
    version,
    stagedAt,
  ];
  let line = copyField(fields[0]);
  for (let i = 1; i < fields.length; i++) line += `\t${copyField(fields[i])}`;
  return `${line}\n`;
}
