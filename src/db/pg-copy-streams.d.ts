// The part of pg-copy-streams (no types of its own) that src/db/copy.ts uses.
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';

  /** A COPY … FROM STDIN query for client.query(); write the data, end it; rowCount once finished. */
  export interface CopyStreamQuery extends Writable {
    rowCount: number;
  }
  export function from(statement: string): CopyStreamQuery;
}
