/**
 * Forward-only migrations, listed in code (not read from a folder at run time)
 * so that they work the same from src/, dist/ and a bundle.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from '../../migrations/0001_task_logs.js';
import * as m0002 from '../../migrations/0002_centers.js';
import * as m0003 from '../../migrations/0003_batch_runs.js';
import * as m0004 from '../../migrations/0004_discovered_events_hashed_key.js';
import * as m0005 from '../../migrations/0005_race_events.js';
import * as m0006 from '../../migrations/0006_tracking.js';
import * as m0007 from '../../migrations/0007_url_catalogue.js';
import * as m0008 from '../../migrations/0008_event_jobs.js';
import * as m0009 from '../../migrations/0009_ingest_tokens.js';
import * as m0011 from '../../migrations/0011_backfill_pages.js';
import * as m0013 from '../../migrations/0013_backfill_page_formats.js';
import * as m0014 from '../../migrations/0014_staging_event_indexes.js';
import * as m0015 from '../../migrations/0015_drop_backfill_pages.js';

const migrations: Record<string, Migration> = {
  '0001_task_logs': m0001,
  '0002_centers': m0002,
  '0003_batch_runs': m0003,
  '0004_discovered_events_hashed_key': m0004,
  '0005_race_events': m0005,
  '0006_tracking': m0006,
  '0007_url_catalogue': m0007,
  '0008_event_jobs': m0008,
  '0009_ingest_tokens': m0009,
  '0011_backfill_pages': m0011,
  '0013_backfill_page_formats': m0013,
  '0014_staging_event_indexes': m0014,
  '0015_drop_backfill_pages': m0015,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider, migrationTableName: 'ops_migrations', migrationLockTableName: 'ops_migrations_lock' });
}

/**
 * True when ops_migrations lists exactly the migrations above: two cheap
 * queries, where the Migrator introspects the catalogue and takes its lock
 * first (~100 ms of a task run that has nothing else to do). Anything else
 * (no table yet, a pending or an unknown migration) goes through the Migrator.
 */
async function upToDate(db: Kysely<any>): Promise<boolean> {
  const table = await sql<{ t: string | null }>`select to_regclass('ops_migrations')::text as t`.execute(db);
  if (table.rows[0]?.t == null) return false;
  const done = await sql<{ name: string }>`select name from ops_migrations`.execute(db);
  const names = new Set(done.rows.map((r) => r.name));
  return names.size === Object.keys(migrations).length && Object.keys(migrations).every((name) => names.has(name));
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  if (await upToDate(db)) return [];
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw new Error(`migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function migrationStatus(db: Kysely<any>): Promise<Array<{ name: string; executedAt?: Date }>> {
  const list = await migrator(db).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}

export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  if (await upToDate(db)) return [];
  return (await migrationStatus(db)).filter((m) => !m.executedAt).map((m) => m.name);
}
