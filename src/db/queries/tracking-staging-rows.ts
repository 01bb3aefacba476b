/**
 * A chunk's valid events between their check and their write: the COPY text
 * of each row, encoded at once into one growing Buffer (outside the
 * JavaScript heap), and the few facts the outcomes need (keys, content hash,
 * visitor, bot), in plain arrays. Keeping the typed event objects alive until
 * the chunk is written made the garbage collector copy every one of them from
 * the young generation, which cost Node more CPU than the checks.
 */
import { type StagedEvent, stagingLine } from './tracking-staging.js';

export class StagingRows {
  private buffer: Buffer;
  private end = 0;
  /** Row i is bytes offsets[i] to offsets[i + 1]. */
  private readonly offsets: number[] = [0];
  readonly rawIds: number[] = [];
  readonly customerIds: string[] = [];
  readonly eventIds: string[] = [];
  readonly contentHashes: string[] = [];
  readonly visitorKeys: string[] = [];
  readonly bots: boolean[] = [];

  /** `expected`: how many rows the chunk may hold (the buffer starts at about their size). */
  constructor(
    private readonly version: string,
    private readonly stagedAt: string,
    expected: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(expected, 100_000) * 800 + 65_536);
  }

  get length(): number {
    return this.rawIds.length;
  }

  add(e: StagedEvent): void {
    const line = stagingLine(e, this.version, this.stagedAt);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.buffer.length - this.end < line.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.end + line.length * 3));
      this.buffer.copy(bigger, 0, 0, this.end);
      this.buffer = bigger;
    }
    this.end += this.buffer.write(line, this.end);
    this.offsets.push(this.end);
    this.rawIds.push(e.rawId);
    this.customerIds.push(e.customerId);
    this.eventIds.push(e.eventId);
    this.contentHashes.push(e.contentHash);
    this.visitorKeys.push(e.visitorKey);
    this.bots.push(e.isBot);
  }

  /** The COPY bytes of the rows at these indexes, in their order. */
  copyText(indexes: number[]): Buffer {
    if (indexes.length === this.length && indexes.every((row, i) => row === i)) return this.buffer.subarray(0, this.end);
    return Buffer.concat(indexes.map((i) => this.buffer.subarray(this.offsets[i], this.offsets[i + 1])));
  }

  /**
   * The indexes in primary-key order (customer_id, event_id). COPY inserts
   * rows in the order it reads them: in key order, consecutive primary-key
   * inserts land on the same or the next leaf page, which was measured about
   * twice as cheap as inserting in arrival order (random event ids).
   */
  inKeyOrder(indexes: number[]): number[] {
    const { customerIds: c, eventIds: e } = this;
    return [...indexes].sort((a, b) => (c[a] < c[b] ? -1 : c[a] > c[b] ? 1 : e[a] < e[b] ? -1 : e[a] > e[b] ? 1 : 0));
  }
}
