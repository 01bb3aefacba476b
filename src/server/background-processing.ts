/**
 * Background process-tracking after events arrive: OPS_TRACK_PROCESS_DEBOUNCE_MS
 * after the first event since the last run (the async and batch endpoints), or at once (/track, the old endpoint's "automatic" mode). One
 * run at a time; events that arrive during a run get another run after it.
 * A run that fails is logged and never fails an ingest: the events are in raw
 * already and the next run (or the scheduled one) picks them up.
 */
import type { Logger } from '../core/log.js';

export type RunProcessing = () => Promise<void>;

export class BackgroundProcessing {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Events arrived while a run was going on. */
  private again = false;
  private stopped = false;
  readonly totals = { runs: 0, failed: 0 };

  constructor(
    private readonly run: RunProcessing,
    private readonly debounceMs: number,
    private readonly log: Logger,
  ) {}

  /** Events were committed: a run after the quiet time, or at once. */
  poke(immediately = false): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (immediately) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.start();
      return;
    }
    // Counted from the first event since the last run, not pushed back by each one: steady traffic still gets runs.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.debounceMs);
  }

  private start(): void {
    this.again = false;
    this.totals.runs += 1;
    this.running = this.run()
      .catch((err) => {
        this.totals.failed += 1;
        this.log.warn('background process-tracking failed (the events stay in raw for the next run)', { reason: (err as Error).message });
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) this.poke();
      });
  }

  /** No new run; the one going on (short: bounded chunks) is awaited, so that its outcome is recorded as it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
