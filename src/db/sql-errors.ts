/**
 * What a database error means for the caller, by its SQLSTATE. Postgres (pg)
 * and the embedded database (PGlite 0.5, whose errors carry the server's
 * fields) give the same `code`.
 */

/** 42P01 undefined_table: the schema has not reached the table yet (a migration not applied). */
export function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '42P01';
}
