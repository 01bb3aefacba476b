/**
 * Group commit: items handed in while a write is running wait and go
 * together in the next one. At high concurrency the LLM's answers arrive in
 * bursts; one statement for a burst instead of one per URL saves the round
 * trips and, on the embedded database, most of the CPU the writes take.
 * Each add() settles when its own item is written (or its write failed).
 */
export class GroupWriter<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxPerWrite = 100,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // The answers that arrive in the same turn of the event loop go with this one.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, this.maxPerWrite);
      try {
        await this.write(group.map((g) => g.item));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }
}
