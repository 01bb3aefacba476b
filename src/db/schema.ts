/** Row types of every table, as Kysely sees them. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp column with a default: optional on insert. */
type TimestampWithDefault = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
/** A jsonb column with a default: optional on insert. */
type JsonWithDefault<T = unknown> = ColumnType<T, string | undefined, string>;

export interface TaskLogsTable {
  run_id: string;
  task: string;
  lock_key: string;
  status: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  stats: JsonWithDefault<Record<string, unknown>>;
  failures: JsonWithDefault<Array<{ item: string; reason: string }>>;
  failure_count: ColumnType<number, number | undefined, number>;
  error: string | null;
  host: string | null;
  pid: number | null;
  args: JsonWithDefault<Record<string, unknown>>;
  parent_run_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CentersTable {
  id: Generated<number>;
  center_id: string;
  center_name: string;
  slug: string;
  zip_code: string | null;
  city: string | null;
  state: string | null;
  country: string;
  radius: number;
  owner_email: string | null;
  location_data: Json<Record<string, unknown>>;
  is_active: boolean;
  content_hash: string;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
  last_seen_at: Timestamp | null;
}

export interface BatchRunsTable {
  id: Generated<number>;
  run_id: string;
  status: string;
  trigger: string;
  resumed_from: string | null;
  total_centers: ColumnType<number, number | undefined, number>;
  processed_centers: ColumnType<number, number | undefined, number>;
  successful_centers: ColumnType<number, number | undefined, number>;
  failed_centers: ColumnType<number, number | undefined, number>;
  events_found: ColumnType<number, number | undefined, number>;
  events_dropped: ColumnType<number, number | undefined, number>;
  provider: string;
  model: string;
  prompt_version: string;
  tokens_in: ColumnType<number, number | undefined, number>;
  tokens_out: ColumnType<number, number | undefined, number>;
  estimated_cost: ColumnType<number, number | undefined, number>;
  output_dir: string | null;
  started_at: Timestamp;
  completed_at: Timestamp | null;
  error_message: string | null;
}

export interface BatchRunCentersTable {
  run_id: string;
  center_id: string;
  slug: string;
  status: string;
  events_found: ColumnType<number, number | undefined, number>;
  events_dropped: ColumnType<number, number | undefined, number>;
  drop_reasons: JsonWithDefault<Array<{ index: number; name: string | null; reason: string }>>;
  csv_path: string | null;
  tokens_in: ColumnType<number, number | undefined, number>;
  tokens_out: ColumnType<number, number | undefined, number>;
  estimated_cost: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<number, number | undefined, number>;
  error: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface DiscoveredEventsTable {
  id: Generated<number>;
  center_id: string;
  name_key: string;
  event_date: ColumnType<Date | string, string, string>;
  venue_key: string;
  name: string;
  start_time: string | null;
  end_time: string | null;
  venue: string | null;
  address: string | null;
  city: string | null;
  url: string | null;
  category: string | null;
  description: string | null;
  first_run_id: string;
  last_run_id: string;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
}

type Int = ColumnType<number, number | undefined, number>;
/** bigint columns arrive as text from pg and PGlite; ids written as numbers. */
type BigId = ColumnType<number | string, number | string, number | string>;

export interface PartnersTable {
  id: Generated<number>;
  name: string;
  provider: string;
  key_env: string;
  secret_env: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface RacesTable {
  race_id: BigId;
  partner_id: number;
  name: string;
  timezone: string;
  next_date: ColumnType<Date | string | null, string | null, string | null>;
  next_end_date: ColumnType<Date | string | null, string | null, string | null>;
  last_modified: Timestamp | null;
  address: Json<Record<string, unknown>> | null;
  first_seen_at: Timestamp;
  updated_at: Timestamp;
}

export interface RaceEventsTable {
  event_id: BigId;
  race_id: BigId;
  partner_id: number;
  name: string;
  start_time: Timestamp | null;
  end_time: Timestamp | null;
  timezone: string;
  event_type: string | null;
  distance: string | null;
  backfill_status: ColumnType<string, string | undefined, string>;
  backfill_next_page: Int;
  backfill_started_at: Timestamp | null;
  backfill_completed_at: Timestamp | null;
  bookmark: Timestamp | null;
  last_synced_at: Timestamp | null;
  participants: Int;
  removed: Int;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  first_seen_at: Timestamp;
  updated_at: Timestamp;
}

export interface ParticipantsTable {
  event_id: BigId;
  registration_id: BigId;
  race_id: BigId;
  user_id: BigId | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  dob: ColumnType<Date | string | null, string | null, string | null>;
  gender: string | null;
  age: number | null;
  bib_num: string | null;
  chip_num: string | null;
  registration_date: Timestamp | null;
  last_modified: Timestamp | null;
  amount_paid: ColumnType<string | null, string | null, string | null>;
  team_info: Json | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  country_code: string | null;
  removed_at: Timestamp | null;
  removed_reason: string | null;
  new_registration_id: BigId | null;
  first_synced_at: Timestamp;
  synced_at: Timestamp;
}

export interface SyncHistoryTable {
  id: Generated<string>;
  event_id: BigId;
  partner_id: number;
  kind: string;
  run_id: string;
  status: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  records_upserted: Int;
  records_removed: Int;
  records_failed: Int;
  api_calls: Int;
  pages: Int;
  bookmark_before: Timestamp | null;
  bookmark_after: Timestamp | null;
  error: string | null;
}

export interface ProviderCallsTable {
  credential: string;
  called_at: Timestamp;
}

export interface ProviderSlotsTable {
  credential: string;
  slot: number;
  holder: string | null;
  until: Timestamp | null;
}

export interface Database {
  task_logs: TaskLogsTable;
  centers: CentersTable;
  batch_runs: BatchRunsTable;
  batch_run_centers: BatchRunCentersTable;
  discovered_events: DiscoveredEventsTable;
  partners: PartnersTable;
  races: RacesTable;
  race_events: RaceEventsTable;
  participants: ParticipantsTable;
  sync_history: SyncHistoryTable;
  provider_calls: ProviderCallsTable;
  provider_slots: ProviderSlotsTable;
  catalogue_urls: CatalogueUrlsTable;
  catalogue_bookmarks: CatalogueBookmarksTable;
  bigquery_results: BigqueryResultsTable;
  ingest_tokens: IngestTokensTable;
  event_jobs: EventJobsTable;
}

/** The URL catalogue (0007). */
type IntWithDefault = ColumnType<number, number | undefined, number>;
export interface CatalogueUrlsTable {
  id: Generated<number>;
  url: string;
  original_url: string;
  airtable_record_id: string | null;
  page_status: string | null;
  status_code: IntWithDefault;
  catalogued: ColumnType<boolean, boolean | undefined, boolean>;
  crawler_updated_at: Timestamp | null;
  fetch_status: number | null;
  fetch_attempts: IntWithDefault;
  resolved_url: string | null;
  last_error: string | null;
  page_type: string | null;
  product_or_service: string | null;
  category: string | null;
  location: string | null;
  keywords: ColumnType<string[] | null, string | null, string | null>;
  summary: string | null;
  model: string | null;
  tokens_in: IntWithDefault;
  tokens_out: IntWithDefault;
  estimated_cost: IntWithDefault;
  catalogued_at: Timestamp | null;
  fetched_at: Timestamp | null;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface CatalogueBookmarksTable {
  name: string;
  value: string;
  updated_at: Timestamp;
}

export interface BigqueryResultsTable {
  id: Generated<number>;
  query_sql: string;
  params: JsonWithDefault<Record<string, unknown>>;
  rows: Json<Array<{ url: string; sessions: number }>>;
  row_count: number;
  fetched_at: Timestamp;
}

/** Write keys of the tracking ingest (0009): only the key's hash is stored. */
export interface IngestTokensTable {
  id: Generated<number>;
  customer_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** The ledger of event-relative jobs (0008): one row per job key. */
export type EventJobStatus = 'running' | 'retry' | 'done' | 'failed' | 'misfired';
export interface EventJobsTable {
  job_key: string;
  task: string;
  item_id: string;
  environment: string;
  due_at: Timestamp;
  status: EventJobStatus;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  last_error: string | null;
  run_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}
