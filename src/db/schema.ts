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

export interface Database {
  task_logs: TaskLogsTable;
  centers: CentersTable;
  batch_runs: BatchRunsTable;
  batch_run_centers: BatchRunCentersTable;
  discovered_events: DiscoveredEventsTable;
  catalogue_urls: CatalogueUrlsTable;
  catalogue_bookmarks: CatalogueBookmarksTable;
  bigquery_results: BigqueryResultsTable;
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
