/**
 * COPY … FROM STDIN on Postgres, on the very connection a Kysely transaction
 * runs on, so that the copied rows commit or roll back with the rest of it.
 * Kysely keeps the pg client of a connection to itself: open.ts tells this
 * module which client each connection wraps, once, when Kysely creates the
 * connection. The embedded database has no COPY FROM STDIN (it hangs in
 * PGlite): there canCopy is false and the callers write another way.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatabaseConnection, Kysely } from 'kysely';

/** What COPY needs of a pg client: to run a submittable query. */
export interface CopyClient {
  query(submittable: unknown): unknown;
}

const clients = new WeakMap<DatabaseConnection, CopyClient>();

export function registerCopyClient(connection: DatabaseConnection, client: CopyClient): void {
  clients.set(connection, client);
}

/** Whether db's connection can COPY (Postgres). Inside a transaction, its own connection. */
export async function canCopy(db: Kysely<any>): Promise<boolean> {
  return db.getExecutor().provideConnection(async (connection) => clients.has(connection));
}

/**
 * Sends `text` (COPY text format: tab-separated fields, one row a line, in
 * chunks) to `statement` (`copy … from stdin`) on db's connection; the rows
 * copied. Only after canCopy said yes.
 */
export async function copyFromText(db: Kysely<any>, statement: string, text: Iterable<Uint8Array | string>): Promise<number> {
  const { from } = await import('pg-copy-streams');
  return db.getExecutor().provideConnection(async (connection) => {
    const client = clients.get(connection);
    if (!client) throw new Error('COPY FROM STDIN is not available on this database');
    const stream = client.query(from(statement)) as ReturnType<typeof from>;
    await pipeline(Readable.from(text), stream);
    return stream.rowCount;
  });
}
