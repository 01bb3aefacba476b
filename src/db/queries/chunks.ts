/**
 * Rows per insert statement. Postgres takes at most 65,535 bind parameters in
 * one statement; at 500 rows a table may have up to 131 columns.
 */
export const INSERT_CHUNK_ROWS = 500;

/** The list cut into consecutive pieces of at most `size`. */
export function inChunks<T>(items: readonly T[], size = INSERT_CHUNK_ROWS): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
