/**
 * Bulk rows with COPY … FROM STDIN (text format), through Kysely on both
 * databases: `copyRows` sends the statement with the rows as its one
 * parameter; the pg pool's clients (see withCopy) stream it with
 * pg-copy-streams, the embedded database reads it as a blob
 * ('/dev/blob', PGlite's own way: FROM STDIN hangs there). COPY parses rows
 * far cheaper than INSERT … SELECT FROM unnest(arrays): array_in costs about
 * 0.5 µs an element, which for 30 columns is more than the insert itself.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import { databaseKind } from './kind.js';

/** A statement copyRows sends: `copy <table> (<columns>) from stdin`. */
export const COPY_FROM_STDIN = /^copy [a-z_."]+ \([a-z_, ]+\) from stdin$/;

const ESCAPED = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One field in COPY's text format: \N for null, backslash escapes for the characters that delimit. */
export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return ESCAPED.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]) : value;
}

/** What copyRows sends: the whole text, or its slices (made as the COPY reads them, on Postgres). */
export type CopyText = string | Uint8Array | Iterable<string | Uint8Array>;

/**
 * Inserts rows (each line ends with \n, fields joined by \t, made with
 * copyField; text or its UTF-8 bytes, whole or in slices) in one COPY; returns
 * how many. Slices stream on Postgres: the server parses one while the next is
 * made. The embedded database reads one blob: there they are joined first.
 */
export async function copyRows(db: Kysely<any>, table: string, columns: readonly string[], rows: CopyText): Promise<number> {
  const statement = `copy ${table} (${columns.join(', ')}) from stdin`;
  if (!COPY_FROM_STDIN.test(statement)) throw new Error(`not a table and columns copyRows can name: ${statement}`);
  const whole = typeof rows === 'string' || rows instanceof Uint8Array;
  if (whole && rows.length === 0) return 0;
  const text = whole || databaseKind(db) === 'postgres' ? rows : Buffer.concat([...rows].map((r) => (typeof r === 'string' ? Buffer.from(r) : r)));
  const result = await db.executeQuery<{ rows: number }>(CompiledQuery.raw(statement, [text]));
  return Number(result.rows[0]?.rows ?? 0);
}

/** What a pg client's query() must do with a copyRows statement (the client itself: its `query` is replaced, once). */
export interface CopyClient {
  query(...args: any[]): any;
}

type CopyFrom = (sql: string) => NodeJS.WritableStream & { rowCount?: number };

/**
 * Makes a pg client run copyRows statements through pg-copy-streams (loaded
 * on the first COPY, so that a run with nothing to do never loads it); every
 * other query goes on as before. Kysely calls client.query(sql, parameters)
 * and reads { command, rowCount, rows }: the answer has that shape.
 */
export function withCopy(client: CopyClient, load: () => Promise<CopyFrom>): void {
  const query = client.query.bind(client);
  client.query = (...args: any[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || !COPY_FROM_STDIN.test(text) || !Array.isArray(values) || values.length !== 1) return query(...args);
    return load().then(
      (copyFrom) =>
        new Promise((resolve, reject) => {
          const stream = query(copyFrom(text)) as ReturnType<CopyFrom>;
          const done = () => resolve({ command: 'COPY', rowCount: stream.rowCount ?? 0, rows: [{ rows: stream.rowCount ?? 0 }] });
          const rows = values[0] as CopyText;
          // Whole text as one slice; slices are written as they are made, with the socket's back-pressure.
          const slices = typeof rows === 'string' || rows instanceof Uint8Array ? [rows] : rows;
          pipeline(Readable.from(slices), stream).then(done, reject);
        }),
    );
  };
}
