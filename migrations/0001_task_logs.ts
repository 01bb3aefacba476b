import { sql, type Kysely } from 'kysely';

/** One row per run of any task: the audit trail `ops status` and `ops logs` read. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table task_logs (
      run_id        text primary key,
      task          text not null,
      lock_key      text not null,
      status        text not null check (status in ('running', 'success', 'partial', 'failed', 'skipped', 'interrupted')),
      started_at    timestamptz not null,
      finished_at   timestamptz,
      duration_ms   integer,
      stats         json not null default '{}'::json,  -- json, not jsonb: keeps the task's order of counts
      failures      jsonb not null default '[]'::jsonb,
      failure_count integer not null default 0,
      error         text,
      host          text,
      pid           integer,
      args          jsonb not null default '{}'::jsonb
    )`.execute(db);
  await sql`create index task_logs_task_started on task_logs (task, started_at desc)`.execute(db);
  await sql`create index task_logs_running on task_logs (lock_key) where status = 'running'`.execute(db);
}
