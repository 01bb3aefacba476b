import { sql, type Kysely } from 'kysely';

/**
 * Site tracking: raw → staging → business, each a Postgres schema (on PGlite
 * too). raw.events is append-only: any application may insert into it (the
 * contract is in the README); ops never updates it. Every raw row ends in
 * exactly one of staging.events, staging.duplicates or staging.quarantine
 * (each keyed by raw_id), so raw = staged + duplicates + quarantined + pending
 * can be counted. The SQL of the pipeline lives in src/db/queries, not in
 * database functions: it ships with the binary whose version the quarantine
 * records, and a fix needs no migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const schema of ['raw', 'staging', 'business']) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);

  await sql`
    create table raw.events (
      id          bigint generated always as identity primary key,
      received_at timestamptz not null default now(),
      payload     jsonb,
      body        bytea,
      source      text,
      constraint raw_events_payload_or_body check ((payload is null) <> (body is null))
    )`.execute(db);

  // The processor's place in raw.events: every row up to watermark_id was read;
  // rows up to settled_id are also past the lookback (no late commit can appear below it).
  await sql`
    create table staging.pipeline_state (
      id           integer primary key default 1 check (id = 1),
      watermark_id bigint not null default 0,
      settled_id   bigint not null default 0,
      -- True while staging.dirty_* may hold rows: the work check reads this, not tables full of dead rows.
      business_pending boolean not null default false,
      updated_at   timestamptz
    )`.execute(db);
  await sql`insert into staging.pipeline_state (id) values (1)`.execute(db);
  await sql`
    create table staging.watermarks (
      watermark_id bigint not null,
      at           timestamptz not null
    )`.execute(db);
  await sql`create index watermarks_at on staging.watermarks (at)`.execute(db);

  await sql`
    create table staging.events (
      customer_id       text not null,
      event_id          text not null,
      raw_id            bigint not null unique,
      event_type        text not null,
      event_time        timestamptz not null,
      occurred_at       timestamptz not null,
      sent_at           timestamptz,
      received_at       timestamptz not null,
      visitor_key       text not null,
      session_id        text,
      anonymous_id      text,
      user_id           text,
      page_url          text,
      page_origin       text,
      page_path         text,
      page_query        text,
      utm_source        text,
      utm_medium        text,
      utm_campaign      text,
      utm_term          text,
      utm_content       text,
      gclid             text,
      fbclid            text,
      msclkid           text,
      referrer          text,
      referrer_host     text,
      properties        jsonb not null default '{}'::jsonb,
      value             numeric,
      user_agent        text,
      is_bot            boolean not null default false,
      content_hash      text not null,
      processor_version text not null,
      staged_at         timestamptz not null,
      primary key (customer_id, event_id)
    )`.execute(db);
  await sql`create index staging_events_visitor on staging.events (customer_id, visitor_key, event_time)`.execute(db);
  await sql`create index staging_events_time on staging.events (customer_id, event_time)`.execute(db);

  await sql`
    create table staging.duplicates (
      raw_id      bigint primary key,
      customer_id text not null,
      event_id    text not null,
      recorded_at timestamptz not null
    )`.execute(db);

  await sql`
    create table staging.quarantine (
      raw_id            bigint primary key,
      received_at       timestamptz not null,
      customer_id       text,
      event_id          text,
      reason            text not null,
      message           text not null,
      payload           jsonb,
      body              bytea,
      processor_version text not null,
      quarantined_at    timestamptz not null,
      checked_at        timestamptz not null,
      recovered_at      timestamptz,
      recovered_by      text
    )`.execute(db);
  await sql`create index quarantine_open on staging.quarantine (reason, raw_id) where recovered_at is null`.execute(db);

  // URL and user-agent facts, computed once per distinct value (normalize-url, isbot run in the task).
  await sql`
    create table staging.urls (
      url_hash     text primary key,
      error        text,
      url          text,
      origin       text,
      path         text,
      query        text,
      utm_source   text,
      utm_medium   text,
      utm_campaign text,
      utm_term     text,
      utm_content  text,
      gclid        text,
      fbclid       text,
      msclkid      text
    )`.execute(db);
  await sql`create table staging.user_agents (ua_hash text primary key, is_bot boolean not null)`.execute(db);

  // What the business step still has to recompute: visitors first, then days.
  await sql`create table staging.dirty_visitors (customer_id text not null, visitor_key text not null, primary key (customer_id, visitor_key))`.execute(db);
  await sql`create table staging.dirty_days (customer_id text not null, day date not null, primary key (customer_id, day))`.execute(db);

  await sql`
    create table business.sessions (
      customer_id   text not null,
      visitor_key   text not null,
      session_start timestamptz not null,
      session_end   timestamptz not null,
      day           date not null,
      events        integer not null,
      page_views    integer not null,
      landing_page  text,
      exit_page     text,
      bounce        boolean not null,
      converted     boolean not null,
      utm_source    text,
      utm_medium    text,
      utm_campaign  text,
      primary key (customer_id, visitor_key, session_start)
    )`.execute(db);
  await sql`create index business_sessions_day on business.sessions (customer_id, day)`.execute(db);
  await sql`
    create table business.daily_pages (
      customer_id     text not null,
      day             date not null,
      page            text not null,
      page_views      integer not null,
      unique_sessions integer not null,
      primary key (customer_id, day, page)
    )`.execute(db);
  await sql`
    create table business.daily_conversions (
      customer_id text not null,
      day         date not null,
      event_type  text not null,
      conversions integer not null,
      value       numeric not null,
      primary key (customer_id, day, event_type)
    )`.execute(db);
}
