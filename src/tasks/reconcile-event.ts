/**
 * reconcile-event: a full re-sync of each race event's participants two hours
 * after its start — an event task, run once per event by `ops run-due`. It
 * catches what an incremental sync by modification time cannot see (rows the
 * provider changed without touching their modification time, deletions it
 * never reported). The same path as `ops sync-event --event ID --full`: the
 * event's lease, its partner's credentials and hourly budget; a spent budget
 * (or an event another process is syncing) defers the job, it is not failed.
 */
import type { Kysely } from 'kysely';
import { OpsError } from '../core/errors.js';
import { defineEventTask } from '../core/event-task.js';
import { listPartners } from '../db/queries/partners.js';
import { claimEvent, eventsStartingBetween, releaseLease, type EventState } from '../db/queries/race-events.js';
import type { Database } from '../db/schema.js';
import { syncEvent } from './races/event-sync.js';
import { PartnerSession } from './races/partner-session.js';
import { providerSettings } from './races/settings.js';

const HOUR = 3_600_000;
/** How far back events are looked at: a job older than its grace is misfired anyway. */
const LOOK_BACK_MS = 3 * 24 * HOUR;
/** How far ahead: for --plan, and for OPS_ENV=development, which runs them at once. */
const LOOK_AHEAD_MS = 7 * 24 * HOUR;

export const reconcileEvent = defineEventTask({
  name: 'reconcile-event',
  summary: "a full re-sync of each race event's participants two hours after its start",
  description:
    'Catches what the incremental sync by modification time cannot see. Respects the partner budget: a spent budget defers the job to a later run-due.',
  settings: providerSettings,
  offset: { hours: 2 },
  misfireGrace: { hours: 24 },
  maxAttempts: 3,
  leaseSeconds: 1800,
  itemId: (event: EventState) => event.event_id,
  eventTime: (event: EventState) => event.start_time,
  async query(ctx) {
    const now = ctx.now().getTime();
    return eventsStartingBetween(ctx.db as Kysely<Database>, new Date(now - LOOK_BACK_MS), new Date(now + LOOK_AHEAD_MS));
  },
  async execute(ctx, event: EventState) {
    const db = ctx.db as Kysely<Database>;
    const partner = (await listPartners(db)).find((p) => p.id === event.partner_id);
    if (!partner?.enabled) throw new OpsError(`partner of event ${event.event_id} is disabled or gone: not synced`);
    const session = PartnerSession.open(partner, ctx.env as NodeJS.ProcessEnv, { db, config: ctx.config, now: ctx.now, log: ctx.log });
    if (typeof session === 'string') throw new OpsError(session);
    const now = ctx.now();
    const owner = ctx.job.key;
    const claimed = await claimEvent(db, event.event_id, owner, now, new Date(now.getTime() + ctx.config.leaseSeconds * 1000));
    if (!claimed) return { deferred: `event ${event.event_id} is being synced by another process` };
    // Rejected records are the run's failed items; the event's own failure is the job's error (not counted twice).
    const rejected: Array<[string, string]> = [];
    const deps = {
      db,
      config: ctx.config,
      runId: ctx.runId,
      owner,
      now: ctx.now,
      signal: ctx.signal,
      log: ctx.log,
      failItem: (i: string, r: string) => void rejected.push([i, r]),
    };
    let outcome: Awaited<ReturnType<typeof syncEvent>>;
    try {
      const api = session.client();
      outcome = await syncEvent(deps, api, claimed, { full: true, reserve: (calls) => session.reserve(api, calls) });
    } finally {
      await releaseLease(db, event.event_id, owner).catch(() => {});
    }
    if (outcome.status === 'deferred') return { deferred: outcome.error ?? 'the hourly call budget is spent' };
    if (outcome.status === 'failed') throw new OpsError(outcome.error ?? `event ${event.event_id}: full sync failed`);
    for (const [item, reason] of rejected) ctx.failItem(item, reason);
    ctx.log.info('event reconciled', { event_id: event.event_id, upserted: outcome.upserted, removed: outcome.removed, calls: outcome.calls });
  },
});
