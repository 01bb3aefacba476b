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

export interface Database {
  task_logs: TaskLogsTable;
  centers: CentersTable;
}
