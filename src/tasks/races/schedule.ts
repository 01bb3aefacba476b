/**
 * Proximity scheduling, as pure functions of the clock: which tier an event is
 * in, when it is next due, and which due events a run takes (the most urgent
 * first, at most each tier's cap). `sync-event`, `sync-event --plan` and
 * `sync-status` all read it from here, so they never disagree.
 */
import type { EventState } from '../../db/queries/race-events.js';
import type { TierConfig } from './settings.js';

export type Tier = 'imminent' | 'near' | 'far';
export const TIERS: readonly Tier[] = ['imminent', 'near', 'far'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The tier of an event starting at `start`, or 'finished' once it is past start + the stop offset. */
export function tierOf(start: Date, now: Date, config: TierConfig): Tier | 'finished' {
  const untilStart = start.getTime() - now.getTime();
  if (-untilStart > config.stopAfterStartMinutes * MINUTE) return 'finished';
  if (untilStart < config.imminentHours * HOUR) return 'imminent';
  if (untilStart <= config.nearHours * HOUR) return 'near';
  return 'far';
}

export function intervalMs(tier: Tier, config: TierConfig): number {
  const minutes = tier === 'imminent' ? config.imminentIntervalMinutes : tier === 'near' ? config.nearIntervalMinutes : config.farIntervalMinutes;
  return minutes * MINUTE;
}

export function capOf(tier: Tier, config: TierConfig): number {
  return tier === 'imminent' ? config.imminentMax : tier === 'near' ? config.nearMax : config.farMax;
}

export type SyncKind = 'backfill' | 'incremental';

export interface PlanEntry {
  event: EventState;
  tier: Tier | 'finished';
  kind: SyncKind;
  /** When the event is (or was) next due; null once finished. */
  dueAt: Date | null;
  due: boolean;
  /** Taken by this run: due and within its tier's cap. */
  selected: boolean;
  reason: string;
}

function describeAge(ms: number): string {
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * HOUR) return `${Math.round(ms / MINUTE)} min`;
  return `${(ms / HOUR).toFixed(1)} h`;
}

/** One event's place in the schedule at `now` (selection by caps comes in planSync). */
export function scheduleOf(event: EventState, now: Date, config: TierConfig): Omit<PlanEntry, 'selected'> {
  const kind: SyncKind = event.backfill_status === 'complete' ? 'incremental' : 'backfill';
  if (!event.start_time) return { event, tier: 'finished', kind, dueAt: null, due: false, reason: 'no start time: not scheduled' };
  const start = new Date(event.start_time);
  const tier = tierOf(start, now, config);
  if (tier === 'finished') {
    return { event, tier, kind, dueAt: null, due: false, reason: `started ${describeAge(now.getTime() - start.getTime())} ago: no longer synced` };
  }
  if (kind === 'backfill') {
    const resume = event.backfill_next_page > 1 ? `resume the full backfill at page ${event.backfill_next_page}` : 'full backfill not done yet';
    return { event, tier, kind, dueAt: now, due: true, reason: resume };
  }
  const interval = intervalMs(tier, config);
  const last = event.last_synced_at ? new Date(event.last_synced_at) : null;
  const dueAt = last ? new Date(last.getTime() + interval - config.dueSlackSeconds * 1000) : now;
  const due = dueAt.getTime() <= now.getTime();
  const age = last ? now.getTime() - last.getTime() : 0;
  // A last sync "in the future" comes from a run with a clock ahead of this one (OPS_NOW): say so, not "-5 h ago".
  const lastText = !last ? 'never synced' : age < 0 ? `last sync at ${last.toISOString()}, after now` : `last sync ${describeAge(age)} ago`;
  return {
    event,
    tier,
    kind,
    dueAt,
    due,
    reason: `${tier} (every ${describeAge(interval)}): ${lastText}${due ? '' : `, due in ${describeAge(dueAt.getTime() - now.getTime())}`}`,
  };
}

/**
 * Every candidate in order of urgency (tier, then the longest overdue, then the
 * nearest start); the due ones are selected up to each tier's cap.
 */
export function planSync(events: EventState[], now: Date, config: TierConfig): PlanEntry[] {
  const rank = (tier: Tier | 'finished') => (tier === 'finished' ? 3 : TIERS.indexOf(tier));
  const entries = events.map((event) => scheduleOf(event, now, config));
  entries.sort(
    (a, b) =>
      Number(b.due) - Number(a.due) ||
      rank(a.tier) - rank(b.tier) ||
      (a.dueAt?.getTime() ?? Number.MAX_SAFE_INTEGER) - (b.dueAt?.getTime() ?? Number.MAX_SAFE_INTEGER) ||
      new Date(a.event.start_time ?? 0).getTime() - new Date(b.event.start_time ?? 0).getTime() ||
      a.event.event_id - b.event.event_id,
  );
  const taken: Record<Tier, number> = { imminent: 0, near: 0, far: 0 };
  return entries.map((entry) => {
    if (!entry.due || entry.tier === 'finished') return { ...entry, selected: false };
    const cap = capOf(entry.tier, config);
    if (taken[entry.tier] >= cap) return { ...entry, selected: false, reason: `${entry.reason}; over this run's cap of ${cap} ${entry.tier} events: next run` };
    taken[entry.tier] += 1;
    return { ...entry, selected: true };
  });
}

/** The earliest start an event may have and still be synced at `now`. */
export function syncWindowStart(now: Date, config: TierConfig): Date {
  return new Date(now.getTime() - config.stopAfterStartMinutes * MINUTE);
}
