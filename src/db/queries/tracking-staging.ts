/**
 * raw → staging for one bounded chunk, in the caller's transaction, in a few
 * set-based statements: validate and type the chunk into a temporary table,
 * fill the URL and user-agent facts for values never seen before (computed in
 * the task: normalize-url and isbot are JavaScript), decide each row's outcome
 * (staged, duplicate, quarantined), and write all outcomes at once.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';
import { tuneTransaction } from './tracking-tuning.js';
import { EVENT_TIME, problemExpression, REFERRER_HOST, VISITOR_KEY } from './tracking-validate.js';

type Db = Kysely<Database>;

/** Which raw rows a chunk takes. */
export type ChunkSource =
  /** Rows above the watermark: never read before. */
  | { kind: 'fresh'; after: number; limit: number }
  /** Rows at or below the watermark without an outcome: committed after their turn (the lookback). */
  | { kind: 'rescan'; after: number; upTo: number; limit: number }
  /** Quarantined rows, validated again. */
  | { kind: 'replay'; after: number; limit: number; reason?: string };

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

/** What only JavaScript computes, for the distinct values of a chunk. */
export interface Enrichment {
  url(text: string): UrlFacts;
  isBot(userAgent: string): boolean;
  /** [reason, detail] of a raw row kept as bytes. */
  body(bytes: Uint8Array): [string, string];
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

const URL_COLUMNS = [
  'error',
  'url',
  'origin',
  'path',
  'query',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'msclkid',
] as const;

function sourceCondition(source: ChunkSource): RawBuilder<unknown> {
  if (source.kind === 'fresh') {
    return sql`r.id > ${source.after} and r.id <= (select max(id) from (select id from raw.events where id > ${source.after} order by id limit ${source.limit}) x)`;
  }
  if (source.kind === 'rescan') {
    return sql`r.id in (select id from raw.events o where o.id > ${source.after} and o.id <= ${source.upTo}
      and not exists (select 1 from staging.events s where s.raw_id = o.id)
      and not exists (select 1 from staging.duplicates d where d.raw_id = o.id)
      and not exists (select 1 from staging.quarantine q where q.raw_id = o.id)
      order by o.id limit ${source.limit})`;
  }
  const reason = source.reason === undefined ? sql`` : sql`and reason = ${source.reason}`;
  return sql`r.id in (select raw_id from staging.quarantine where recovered_at is null and raw_id > ${source.after} ${reason} order by raw_id limit ${source.limit})`;
}

export async function processChunk(
  trx: Db,
  source: ChunkSource,
  opts: { enrich: Enrichment; maxFutureSeconds: number; version: string; now: Date; runId: string },
): Promise<ChunkResult> {
  const { enrich, version, now } = opts;
  await tuneTransaction(trx);
  await sql`drop table if exists pg_temp.tracking_chunk`.execute(trx);
  await sql`drop table if exists pg_temp.chunk_outcome`.execute(trx);
  await sql`
    create temp table tracking_chunk on commit drop as
    select raw_id, received_at, has_body, problem,
      case when jsonb_typeof(p) = 'object' and jsonb_typeof(p->'customer_id') = 'string' then left(p->>'customer_id', 128) end as customer_id,
      case when jsonb_typeof(p) = 'object' and jsonb_typeof(p->'event_id') = 'string' then left(p->>'event_id', 128) end as event_id,
      case when problem is null then md5(p->>'page_url') end as url_hash,
      case when problem is null then md5(p->>'user_agent') end as ua_hash,
      case when problem is null then md5((p - 'sent_at')::text) end as content_hash,
      case when problem is null then ${sql.raw(VISITOR_KEY)} end as visitor_key,
      case when problem is null then ${sql.raw(EVENT_TIME)} end as event_time,
      case when problem is null then p->>'event_type' end as event_type,
      case when problem is null then (p->>'occurred_at')::timestamptz end as occurred_at,
      case when problem is null then (p->>'sent_at')::timestamptz end as sent_at,
      case when problem is null then nullif(p->>'session_id', '') end as session_id,
      case when problem is null then nullif(p->>'anonymous_id', '') end as anonymous_id,
      case when problem is null then nullif(p->>'user_id', '') end as user_id,
      case when problem is null then p->>'page_url' end as page_url,
      case when problem is null then nullif(p->>'referrer', '') end as referrer,
      case when problem is null then ${sql.raw(REFERRER_HOST)} end as referrer_host,
      case when problem is null then coalesce(nullif(p->'properties', 'null'::jsonb), '{}'::jsonb) end as properties,
      case when problem is null and jsonb_typeof(p->'properties'->'value') = 'number' then (p->'properties'->>'value')::numeric end as value,
      case when problem is null then p->>'user_agent' end as user_agent
    from (
      select raw_id, received_at, p, has_body, ${sql.raw(problemExpression(opts.maxFutureSeconds))} as problem
      from (select r.id as raw_id, r.received_at, r.payload as p, r.body is not null as has_body from raw.events r where ${sourceCondition(source)}) picked
      -- offset 0 keeps this subquery whole: flattened, the CASE would be evaluated once per use of problem below.
      offset 0
    ) checked`.execute(trx);

  // A fresh temporary table has no statistics: without them the planner may scan raw.events whole to join a chunk.
  await sql`analyze tracking_chunk (raw_id, customer_id, event_id, url_hash, ua_hash)`.execute(trx);
  await fillUrlFacts(trx, enrich);
  await fillUserAgents(trx, enrich);
  await classifyBodies(trx, enrich);

  // Outcome of each valid row: the first of its key (in staging, else in this chunk) is staged; an identical later one is a
  // duplicate, a different one a conflict. Kept in a narrow table of its own (rewriting the wide chunk rows cost more than
  // deciding), the chunk's first of each key found by hashing, not sorting.
  await sql`
    create temp table chunk_outcome on commit drop as
    select t.raw_id,
      case when s.raw_id is null and f.first_raw_id = t.raw_id then 'staged'
        when coalesce(s.content_hash, h.content_hash) = t.content_hash then 'duplicate' else 'conflict' end as outcome,
      coalesce(s.raw_id, f.first_raw_id) as first_raw_id
    from tracking_chunk t
    join (select customer_id, event_id, min(raw_id) as first_raw_id from tracking_chunk where problem is null group by customer_id, event_id) f
      on f.customer_id = t.customer_id and f.event_id = t.event_id
    join tracking_chunk h on h.raw_id = f.first_raw_id
    left join staging.events s on s.customer_id = t.customer_id and s.event_id = t.event_id
    where t.problem is null`.execute(trx);

  const staged = await sql<{ n: number; bots: number }>`
    with ins as (
      insert into staging.events (customer_id, event_id, raw_id, event_type, event_time, occurred_at, sent_at, received_at, visitor_key,
        session_id, anonymous_id, user_id, page_url, page_origin, page_path, page_query, utm_source, utm_medium, utm_campaign, utm_term,
        utm_content, gclid, fbclid, msclkid, referrer, referrer_host, properties, value, user_agent, is_bot, content_hash, processor_version, staged_at)
      select c.customer_id, c.event_id, c.raw_id, c.event_type, c.event_time, c.occurred_at, c.sent_at,
        c.received_at, c.visitor_key, c.session_id, c.anonymous_id, c.user_id,
        u.url, u.origin, u.path, u.query, u.utm_source, u.utm_medium, u.utm_campaign, u.utm_term, u.utm_content, u.gclid, u.fbclid, u.msclkid,
        c.referrer, c.referrer_host, c.properties, c.value, c.user_agent, coalesce(a.is_bot, false), c.content_hash, ${version}, ${now}
      from tracking_chunk c
      join chunk_outcome o on o.raw_id = c.raw_id and o.outcome = 'staged'
      left join staging.urls u on u.url_hash = c.url_hash
      left join staging.user_agents a on a.ua_hash = c.ua_hash
      returning customer_id, visitor_key, is_bot
    ), dirty as (
      insert into staging.dirty_visitors (customer_id, visitor_key)
      select distinct customer_id, visitor_key from ins where not is_bot
      on conflict do nothing
      returning 1
    ), flag as (
      update staging.pipeline_state set business_pending = true where exists (select 1 from dirty)
    )
    select count(*)::int as n, (count(*) filter (where is_bot))::int as bots from ins`.execute(trx);

  const duplicates = await sql<{ n: number }>`
    with ins as (
      insert into staging.duplicates (raw_id, customer_id, event_id, recorded_at)
      select c.raw_id, c.customer_id, c.event_id, ${now} from tracking_chunk c join chunk_outcome o on o.raw_id = c.raw_id and o.outcome = 'duplicate'
      returning 1
    ) select count(*)::int as n from ins`.execute(trx);

  const quarantined = await sql<{ n: number }>`
    with ins as (
      insert into staging.quarantine (raw_id, received_at, customer_id, event_id, reason, message, payload, body, processor_version, quarantined_at, checked_at)
      select c.raw_id, c.received_at, c.customer_id, c.event_id, c.problem[1],
        case when c.problem[2] = '' then c.problem[3] else c.problem[2] || ': ' || c.problem[3] end,
        case when c.has_body then null else (select r.payload from raw.events r where r.id = c.raw_id) end, case when c.has_body then (select r.body from raw.events r where r.id = c.raw_id) end,
        ${version}, ${now}, ${now}
      from (
        select c.raw_id, c.received_at, c.customer_id, c.event_id, c.has_body,
          coalesce(c.problem, array['conflict', 'event_id', 'customer_id ' || c.customer_id || ' / event_id ' || c.event_id || ' arrived before with different content (raw id ' || o.first_raw_id || ')']) as problem
        from tracking_chunk c left join chunk_outcome o on o.raw_id = c.raw_id
        where c.problem is not null or o.outcome = 'conflict'
      ) c
      on conflict (raw_id) do update set reason = excluded.reason, message = excluded.message,
        processor_version = excluded.processor_version, checked_at = excluded.checked_at
      returning 1
    ) select count(*)::int as n from ins`.execute(trx);

  let recovered = 0;
  if (source.kind === 'replay') {
    const done = await sql`
      update staging.quarantine q set recovered_at = ${now}, recovered_by = ${opts.runId}
      from chunk_outcome o where q.raw_id = o.raw_id and o.outcome in ('staged', 'duplicate')`.execute(trx);
    recovered = Number(done.numAffectedRows ?? 0);
  }
  const last = await sql<{ rows: number; last: number | null }>`select count(*)::int as rows, max(raw_id) as last from tracking_chunk`.execute(trx);
  if (source.kind === 'fresh' && last.rows[0].last !== null) {
    await sql`update staging.pipeline_state set watermark_id = ${last.rows[0].last}, updated_at = ${now}`.execute(trx);
  }
  return {
    rows: last.rows[0].rows,
    lastRawId: Number(last.rows[0].last ?? source.after),
    staged: staged.rows[0].n,
    bots: staged.rows[0].bots,
    duplicates: duplicates.rows[0].n,
    quarantined: quarantined.rows[0].n,
    recovered,
  };
}

/** URLs never seen before go through the task's normaliser once; a bad one quarantines its rows. */
async function fillUrlFacts(trx: Db, enrich: Enrichment): Promise<void> {
  const fresh = await sql<{ hash: string; text: string }>`
    select distinct c.url_hash as hash, c.page_url as text from tracking_chunk c
    where c.url_hash is not null and not exists (select 1 from staging.urls u where u.url_hash = c.url_hash)`.execute(trx);
  if (fresh.rows.length > 0) {
    const facts = fresh.rows.map((r) => enrich.url(r.text));
    const columns = URL_COLUMNS.map((col) => sql`${facts.map((f) => f[col] ?? null)}::text[]`);
    await sql`
      insert into staging.urls (url_hash, ${sql.join(URL_COLUMNS.map((c) => sql.ref(c)))})
      select * from unnest(${fresh.rows.map((r) => r.hash)}::text[], ${sql.join(columns)})
      on conflict do nothing`.execute(trx);
  }
  await sql`
    update tracking_chunk c set problem = array['invalid_url', 'page_url', u.error]
    from staging.urls u where c.problem is null and u.url_hash = c.url_hash and u.error is not null`.execute(trx);
}

async function fillUserAgents(trx: Db, enrich: Enrichment): Promise<void> {
  const fresh = await sql<{ hash: string; text: string }>`
    select distinct c.ua_hash as hash, c.user_agent as text from tracking_chunk c
    where c.ua_hash is not null and not exists (select 1 from staging.user_agents a where a.ua_hash = c.ua_hash)`.execute(trx);
  if (fresh.rows.length === 0) return;
  await sql`
    insert into staging.user_agents (ua_hash, is_bot)
    select * from unnest(${fresh.rows.map((r) => r.hash)}::text[], ${fresh.rows.map((r) => enrich.isBot(r.text))}::boolean[])
    on conflict do nothing`.execute(trx);
}

/** Rows kept as bytes (not UTF-8 or not JSON): the task says why, for each. */
async function classifyBodies(trx: Db, enrich: Enrichment): Promise<void> {
  const rows = await sql<{ raw_id: number; body: Uint8Array }>`
    select c.raw_id, (select r.body from raw.events r where r.id = c.raw_id) as body from tracking_chunk c where c.has_body`.execute(trx);
  if (rows.rows.length === 0) return;
  const verdicts = rows.rows.map((r) => enrich.body(r.body));
  await sql`
    update tracking_chunk c set problem = array[v.reason, '', v.detail]
    from unnest(${rows.rows.map((r) => r.raw_id)}::bigint[], ${verdicts.map((v) => v[0])}::text[], ${verdicts.map((v) => v[1])}::text[]) as v(raw_id, reason, detail)
    where c.raw_id = v.raw_id`.execute(trx);
}
