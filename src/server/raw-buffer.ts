/**
 * The ingest's write path: requests hand their events to a short buffer and
 * wait; the buffer is written by size (OPS_INGEST_FLUSH_ROWS) or after
 * OPS_INGEST_FLUSH_MS, as one multi-row insert (columns as arrays), a few
 * inserts in flight at most. A request is answered only once the insert that
 * carries its events has committed, so a 2xx never loses an event; when the
 * insert fails, every request in it gets the error (5xx) and none is half-kept
 * (one statement: all or nothing).
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../core/log.js';
import { insertRawEventRows, type RawRow } from '../db/queries/tracking-raw.js';
import type { Database } from '../db/schema.js';

interface Waiting {
  rows: RawRow[];
  resolve(): void;
  reject(err: unknown): void;
}

/** SQLSTATE class 22 (data exception) and 54 (a limit): a value Postgres refused, not the database failing. */
const REFUSED_VALUE = /^(22|54)/;

export interface RawBufferOptions {
  flushRows: number;
  flushMs: number;
  concurrency: number;
}

export class RawBuffer {
  private pending: Waiting[] = [];
  private pendingRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** The oldest buffered event has waited flushMs: write at the next free slot. */
  private due = false;
  private idle: Array<() => void> = [];
  /** Totals since start, for the log at the end. */
  readonly totals = { inserts: 0, rows: 0, failed_rows: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: RawBufferOptions,
    private readonly log: Logger,
  ) {}

  /** Resolves once the rows are committed to raw.events; rejects when they could not be. */
  add(rows: RawRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.pendingRows += rows.length;
      if (this.pendingRows >= this.options.flushRows) this.kick();
      else
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.due = true;
          this.kick();
        }, this.options.flushMs);
    });
  }

  /** Writes whatever is buffered and waits for every insert in flight. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight > 0) {
      this.due = true;
      this.kick();
      await new Promise<void>((r) => this.idle.push(r));
    }
  }

  /** Starts an insert when one is due (buffer full, or its time come) and a slot is free; a finishing insert calls it again. */
  private kick(): void {
    if (this.pending.length === 0 || this.inFlight >= this.options.concurrency) return;
    if (!this.due && this.pendingRows < this.options.flushRows) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    this.inFlight += 1;
    void this.write(batch).finally(() => {
      this.inFlight -= 1;
      this.kick();
      if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    const rows = batch.flatMap((w) => w.rows);
    try {
      await insertRawEventRows(this.db, rows);
      this.totals.inserts += 1;
      this.totals.rows += rows.length;
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!REFUSED_VALUE.test(code) || batch.length === 1) {
        if (REFUSED_VALUE.test(code)) return this.writeOneByOne(batch[0]);
        this.totals.failed_rows += rows.length;
        this.log.error('insert into raw.events failed: those requests are answered 503', { rows: rows.length, reason: (err as Error).message });
        for (const w of batch) w.reject(err);
        return;
      }
    }
    // One value of one request was refused: each request on its own, so that the others are not held back.
    for (const w of batch) await this.write([w]);
  }

  /** A request with a value Postgres refuses (beyond what storable() catches): its events one by one, a refused one kept as bytes. */
  private async writeOneByOne(w: Waiting): Promise<void> {
    try {
      for (const row of w.rows) {
        try {
          await insertRawEventRows(this.db, [row]);
        } catch (err) {
          if (!REFUSED_VALUE.test((err as { code?: string }).code ?? '') || !('json' in row.line)) throw err;
          await insertRawEventRows(this.db, [{ ...row, line: { bytes: Buffer.from(row.line.json) } }]);
        }
        this.totals.rows += 1;
      }
      w.resolve();
    } catch (err) {
      this.totals.failed_rows += w.rows.length;
      w.reject(err);
    }
  }
}
