import { sql, type Kysely } from 'kysely';

/**
 * The ledger of event-relative jobs (ops run-due): one row per job key
 * `<task>/<item id>/<environment>`, never deleted — the permanent record that
 * a job was done (or misfired, or failed for good). A row `running` whose
 * lease has passed was left by a process that died: retried, up to the
 * task's attempts, its last error kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table event_jobs (
      job_key      text primary key,
      task         text not null,
      item_id      text not null,
      environment  text not null,
      due_at       timestamptz not null,
      status       text not null check (status in ('running', 'retry', 'done', 'failed', 'misfired')),
      attempts     integer not null default 0,
      lease_owner  text,
      lease_until  timestamptz,
      last_error   text,
      run_id       text,
      created_at   timestamptz not null,
      updated_at   timestamptz not null,
      finished_at  timestamptz
    )`.execute(db);
  await sql`create index event_jobs_task on event_jobs (task, updated_at desc)`.execute(db);
  await sql`create index event_jobs_open on event_jobs (lease_until) where status in ('running', 'retry')`.execute(db);
}
