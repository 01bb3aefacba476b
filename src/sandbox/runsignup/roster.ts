/**
 * The participants of one simulated event. The base rows are a function of
 * their index (registration_id, registration time and last_modified all
 * ascending with it, all before the sim's start), so any page of any size is
 * computed, never stored: a 1,000,000-row event costs no memory. Additions,
 * edits and removals are a small overlay, and churn (new registrations,
 * edits, removals) arrives as the sim clock runs, decided by the seed and the
 * time slot, so the same clock always gives the same changes.
 */
import { draw } from '../seed.js';
import type { RowState } from './rows.js';
import type { WorldEvent } from './world.js';

export type RemovalReason = 'removed' | 'cleared' | 'transferred' | 'deferred';
export interface Removal {
  at: number;
  reason: RemovalReason;
  newIndex: number | null;
}

const REGISTRATION_SPAN_SEC = 120 * 86_400;
/** Churn stops an hour after the event's start. */
const CHURN_AFTER_START_SEC = 3600;

export class Roster {
  /** Registration time (unix seconds) of each added row; its index is baseCount + position. */
  private readonly additions: number[] = [];
  private readonly edits = new Map<number, { at: number; version: number }>();
  private readonly removals = new Map<number, Removal>();
  private removedBaseSorted: number[] | null = null;
  private readonly firstSec: number;
  private readonly spanSec: number;
  private churnedUntil: number;

  constructor(
    readonly event: WorldEvent,
    private readonly seed: number,
    simStartSec: number,
  ) {
    const lastSec = Math.min(simStartSec, Math.floor(event.start.toSeconds())) - 3600;
    this.firstSec = lastSec - REGISTRATION_SPAN_SEC;
    this.spanSec = REGISTRATION_SPAN_SEC;
    this.churnedUntil = simStartSec;
  }

  get total(): number {
    return this.event.baseCount + this.additions.length;
  }

  get current(): number {
    return this.total - this.removals.size;
  }

  indexOf(registrationId: number): number | undefined {
    const index = registrationId - this.event.regBase;
    return Number.isInteger(index) && index >= 0 && index < this.total ? index : undefined;
  }

  isRemoved(index: number): boolean {
    return this.removals.has(index);
  }

  private registrationSec(index: number): number {
    const base = this.event.baseCount;
    if (index >= base) return this.additions[index - base];
    return this.firstSec + Math.floor((this.spanSec * (index + 0.5)) / base);
  }

  state(index: number): RowState {
    const registrationSec = this.registrationSec(index);
    const edit = this.edits.get(index);
    return { index, registrationSec, lastModifiedSec: Math.max(registrationSec, edit?.at ?? 0), version: edit?.version ?? 0 };
  }

  add(at: number): number {
    this.additions.push(at);
    return this.total - 1;
  }

  edit(index: number, at: number): void {
    const version = (this.edits.get(index)?.version ?? 0) + 1;
    this.edits.set(index, { at, version });
  }

  /** Removes a current registration; a transfer adds the new one. Returns the new index of a transfer. */
  remove(index: number, at: number, reason: RemovalReason): number | null {
    const newIndex = reason === 'transferred' ? this.add(at) : null;
    this.removals.set(index, { at, reason, newIndex });
    this.removedBaseSorted = null;
    return newIndex;
  }

  /** First base index whose last_modified (before any edit) is at or after `sec`. */
  private firstBaseAtOrAfter(sec: number): number {
    let lo = 0;
    let hi = this.event.baseCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.registrationSec(mid) >= sec) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private removedBase(): number[] {
    this.removedBaseSorted ??= [...this.removals.keys()].filter((i) => i < this.event.baseCount).sort((a, b) => a - b);
    return this.removedBaseSorted;
  }

  /**
   * The indices on page `page` (1-based) of `size` rows, sorted by
   * registration_id, of the current rows modified at or after `since`
   * (inclusive), or of all current rows. Three runs, in id order: base rows
   * before the cut that an edit made recent, the base rows from the cut on
   * (computed), and the additions.
   */
  page(since: number | undefined, page: number, size: number): number[] {
    const base = this.event.baseCount;
    const cut = since === undefined ? 0 : this.firstBaseAtOrAfter(since);
    const recent = (i: number) => since === undefined || this.state(i).lastModifiedSec >= since;
    const early = [...this.edits.keys()].filter((i) => i < cut && !this.removals.has(i) && recent(i)).sort((a, b) => a - b);
    const removedAfterCut = this.removedBase().filter((i) => i >= cut);
    const suffixLength = base - cut - removedAfterCut.length;
    const added: number[] = [];
    for (let i = base; i < this.total; i++) if (!this.removals.has(i) && recent(i)) added.push(i);

    const from = (page - 1) * size;
    const to = from + size;
    const out: number[] = [];
    out.push(...early.slice(Math.max(0, from), Math.max(0, to)));
    const suffixFrom = Math.max(0, from - early.length);
    const suffixTo = Math.min(suffixLength, to - early.length);
    if (suffixTo > suffixFrom) {
      // The suffixFrom-th base index from the cut that is not removed, then onwards skipping removed ones.
      let index = cut + suffixFrom;
      for (const r of removedAfterCut) {
        if (r <= index) index++;
        else break;
      }
      for (let n = suffixFrom; n < suffixTo; index++) {
        if (this.removals.has(index)) continue;
        out.push(index);
        n++;
      }
    }
    const addedFrom = Math.max(0, from - early.length - suffixLength);
    const addedTo = Math.max(0, to - early.length - suffixLength);
    out.push(...added.slice(addedFrom, addedTo));
    return out;
  }

  /** Removed registrations at or after `since`, by registration_id, one page. */
  removedPage(since: number | undefined, page: number, size: number): Array<[number, Removal]> {
    return [...this.removals.entries()]
      .filter(([, r]) => since === undefined || r.at >= since)
      .sort(([a], [b]) => a - b)
      .slice((page - 1) * size, page * size);
  }

  /** Every current index (materialised: for tests on normal-size events). */
  currentIndices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.total; i++) if (!this.removals.has(i)) out.push(i);
    return out;
  }

  /**
   * Applies the churn due up to `nowSec`: `perHour` changes an hour, one per
   * slot, each decided by the seed and its slot (half new registrations, a
   * third edits, the rest removals of every kind). Time with churn off is
   * skipped, not made up later.
   */
  catchUp(nowSec: number, perHour: number): void {
    const until = Math.min(nowSec, Math.floor(this.event.start.toSeconds()) + CHURN_AFTER_START_SEC);
    if (perHour > 0 && until > this.churnedUntil) {
      const slot = 3600 / perHour;
      const id = this.event.eventId;
      for (let k = Math.floor(this.churnedUntil / slot) + 1; k * slot <= until; k++) {
        const at = Math.floor(k * slot);
        const kind = draw(this.seed, 'churn', id, k);
        if (kind < 0.5 || this.total === 0) {
          this.add(at);
          continue;
        }
        const index = Math.floor(draw(this.seed, 'pick', id, k) * this.total);
        if (this.removals.has(index)) continue;
        if (kind < 0.85) this.edit(index, at);
        else {
          const r = draw(this.seed, 'reason', id, k);
          this.remove(index, at, r < 0.5 ? 'removed' : r < 0.7 ? 'transferred' : r < 0.85 ? 'cleared' : 'deferred');
        }
      }
    }
    this.churnedUntil = Math.max(this.churnedUntil, nowSec);
  }
}
