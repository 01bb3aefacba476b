// pg-copy-streams ships no types; ops uses its COPY FROM STDIN stream only (src/db/copy.ts).
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';

  /** A COPY … FROM STDIN query for client.query(): write the data, end it; rowCount once finished. */
  export interface CopyStreamQuery extends Writable {
    rowCount: number;
    submit(connection: unknown): void;
  }
  export function from(statement: string): CopyStreamQuery;
}
