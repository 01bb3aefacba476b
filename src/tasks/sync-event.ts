/**
 * sync-event: the events that are due, by proximity to their start (tiers,
 * caps, the most urgent first), each synced incrementally since its bookmark —
 * or one event by id, now (--event, with --full for a complete re-sync).
 * Several processes may run at once: they share the due events through row
 * leases, and up to SYNC_EVENT_WORKERS of them hold a lock slot each.
 */
import type { Kysely } from 'kysely';
import { UsageError } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { listPartners } from '../db/queries/partners.js';
import { findEventState, syncCandidates } from '../db/queries/race-events.js';
import type { Database } from '../db/schema.js';
import { openSessions, runEventJobs, type EventJob } from './races/run-events.js';
import { planSync, syncWindowStart } from './races/schedule.js';
import { providerSettings, tierSettings } from './races/settings.js';

/** Lock slots: at most this many sync-event runs at once (the leases keep them off each other's events). */
export const SYNC_EVENT_WORKERS = 8;

export const syncEventSettings = {
  ...providerSettings,
  ...tierSettings,
};

export interface SyncEventOptions {
  event?: number;
  full?: boolean;
}

export const syncEvent = defineTask({
  name: 'sync-event',
  summary: 'sync the participants of every due event (or one event), incrementally since its bookmark',
  schedule: { cron: '* * * * *' },
  settings: syncEventSettings,
  deadlineSeconds: 3600,
  lockKey: () => Array.from({ length: SYNC_EVENT_WORKERS }, (_, i) => `sync-event#${i + 1}`),
  async run(ctx, options: SyncEventOptions) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    const now = ctx.now();
    let jobs: EventJob[];
    let planned = { due: 0, selected: 0, over_cap: 0 };
    if (options.event !== undefined) {
      const event = await findEventState(db, options.event);
      if (!event) throw new UsageError(`no event ${options.event} is known (ops sync-status lists them; ops discover-events finds new ones)`);
      jobs = [{ event, full: options.full }];
    } else {
      if (options.full) throw new UsageError('--full needs --event ID');
      const plan = planSync(await syncCandidates(db, syncWindowStart(now, config)), now, config);
      const due = plan.filter((p) => p.due);
      const selected = due.filter((p) => p.selected);
      planned = { due: due.length, selected: selected.length, over_cap: due.length - selected.length };
      jobs = selected.map((p) => ({ event: p.event, lastSyncedAt: p.event.last_synced_at }));
      if (planned.over_cap > 0) ctx.note(`${planned.over_cap} due event(s) over this run's caps wait for the next run`);
    }
    if (jobs.length === 0) {
      ctx.note('Nothing is due.');
      return { ...planned, synced: 0 };
    }
    const deps = { db, config, runId: ctx.runId, owner: ctx.runId, now: ctx.now, signal, log: ctx.log, failItem: ctx.failItem, env: ctx.env };
    const partnerIds = new Set(jobs.map((j) => j.event.partner_id));
    const partners = (await listPartners(db)).filter((p) => partnerIds.has(p.id));
    for (const p of partners.filter((p) => !p.enabled)) ctx.failItem(`partner ${p.name}`, 'disabled (ops partners enable NAME): its events are not synced');
    const sessions = await openSessions(
      deps,
      partners.filter((p) => p.enabled),
    );
    ctx.log.info('syncing events', { events: jobs.length, partners: sessions.size });
    let done = 0;
    const totals = await runEventJobs({ ...deps, onEventDone: () => ctx.progress.update({ done: ++done, total: jobs.length, noun: 'event' }) }, sessions, jobs);
    if (totals.deferred > 0) ctx.note(`${totals.deferred} event(s) deferred: a partner's hourly call budget is spent; they stay due`);
    if (totals.skipped > 0) ctx.note(`${totals.skipped} event(s) held or just synced by another process: left to it`);
    return { ...planned, ...totals };
  },
});
