/**
 * track-ingest: loads NDJSON tracking events (a file or stdin) into raw.events
 * by the same contract any application uses. Accept first, validate later:
 * every line that is JSON lands in `payload`; a line that is not UTF-8, not
 * JSON, or JSON that Postgres cannot store (\u0000, unpaired surrogates) lands
 * in `body` as the bytes received, is counted here and quarantined with its
 * reason by process-tracking. Nothing is dropped but blank lines.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { throwIfAborted } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import type { Database } from '../db/schema.js';
import { insertRawEvents, type RawLine } from '../db/queries/tracking-raw.js';

export interface TrackIngestOptions {
  /** A path, or '-' for stdin. */
  file: string;
  /** Tests: the stream to read instead of the file. */
  input?: Readable;
}

const BATCH_LINES = 2_000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Lines of a byte stream, split on \n (a trailing \r dropped), never decoded here. */
export async function* byteLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let nl = buf.indexOf(10);
    while (nl !== -1) {
      yield stripCr(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(10);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length > 0) yield stripCr(rest);
}

const stripCr = (b: Buffer) => (b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, -1) : b);

/** A JSON value Postgres' jsonb can hold: no NUL character and no unpaired surrogate in any string or key. */
export function storable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && (value as string & { isWellFormed(): boolean }).isWellFormed();
  if (Array.isArray(value)) return value.every(storable);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
  return true;
}

/** How one line goes into raw.events; null for a blank line. */
export function toRawLine(bytes: Buffer): RawLine | null {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { bytes };
  }
  if (text.trim() === '') return null;
  try {
    if (storable(JSON.parse(text))) return { json: text };
  } catch {
    // not JSON: kept as bytes below
  }
  return { bytes };
}

export const trackIngest = defineTask({
  name: 'track-ingest',
  summary: 'load NDJSON tracking events into raw.events',
  settings: {},
  // Loads may run side by side: each has its own lock, so a second one is never skipped.
  lockKey: () => `track-ingest:${process.pid}:${Date.now()}`,
  async run(ctx, options: TrackIngestOptions) {
    const db = ctx.db as Kysely<Database>;
    const input = options.input ?? (options.file === '-' ? process.stdin : createReadStream(options.file));
    const source = options.file === '-' ? 'ingest:stdin' : `ingest:${options.file}`.slice(0, 200);
    const counts = { lines: 0, accepted: 0, kept_as_bytes: 0, blank: 0 };
    let batch: RawLine[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      const receivedAt = ctx.now();
      try {
        await insertRawEvents(db, lines, receivedAt, source);
      } catch {
        // Postgres refused one JSON text of the batch (a number beyond numeric…): line by line, bytes for the refused.
        for (const line of lines) {
          try {
            await insertRawEvents(db, [line], receivedAt, source);
          } catch {
            const bytes = 'json' in line ? Buffer.from(line.json) : line.bytes;
            await insertRawEvents(db, [{ bytes }], receivedAt, source);
            counts.accepted -= 1;
            counts.kept_as_bytes += 1;
          }
        }
      }
      ctx.progress.update({ done: counts.lines, noun: 'line' });
    };
    for await (const bytes of byteLines(input as AsyncIterable<Buffer>)) {
      counts.lines += 1;
      const line = toRawLine(bytes);
      if (line === null) counts.blank += 1;
      else {
        if ('json' in line) counts.accepted += 1;
        else counts.kept_as_bytes += 1;
        batch.push(line);
      }
      if (batch.length >= BATCH_LINES) {
        await flush();
        throwIfAborted(ctx.signal);
      }
    }
    await flush();
    if (counts.kept_as_bytes > 0) {
      ctx.log.warn('lines that are not UTF-8 JSON were kept in raw.events as bytes', { lines: counts.kept_as_bytes });
      ctx.note(`${counts.kept_as_bytes} line(s) are not UTF-8 JSON: kept in raw.events as bytes; process-tracking quarantines them (ops tracking-quarantine)`);
    }
    return counts;
  },
});
