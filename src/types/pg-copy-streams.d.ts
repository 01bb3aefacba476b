// pg-copy-streams ships no types; ops uses its COPY FROM STDIN stream only (src/db/copy.ts).
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';
  export function from(sql: string): Writable & { rowCount?: number; submit(connection: unknown): void };
}
