/**
 * discover-events: for every enabled partner (concurrently, bounded), list its
 * own races with their events, every page; store new events and apply changes
 * to known ones (name, start, end: the sync tiers hang on the start). Then
 * every event whose full backfill has not committed completely — new ones, and
 * ones an earlier run left half done — is backfilled, resuming where it stopped.
 */
import type { Kysely } from 'kysely';
import pLimit from 'p-limit';
import { settings } from '../core/config.js';
import { errorMessage, isAbortError, throwIfAborted, UpstreamError } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { listPartners } from '../db/queries/partners.js';
import { eventsAwaitingBackfill, upsertRace, upsertRaceEvent, type EventUpsert } from '../db/queries/race-events.js';
import type { Database } from '../db/schema.js';
import type { Race } from '../integrations/runsignup.js';
import { BudgetExhaustedError, type PartnerSession } from './races/partner-session.js';
import { openSessions, runEventJobs } from './races/run-events.js';
import { providerSettings } from './races/settings.js';
import { UsageError } from '../core/errors.js';

export const discoverEventsSettings = {
  ...providerSettings,
  partnerConcurrency: settings.int('DISCOVER_PARTNER_CONCURRENCY', 'partners discovered at once', { min: 1, max: 100 }, { default: 4 }),
  daysBack: settings.int('DISCOVER_DAYS_BACK', 'races that started up to this many days ago are still listed', { min: 0, max: 3650 }, { default: 7 }),
};

export interface DiscoverEventsOptions {
  /** Only this partner (by name). */
  partner?: string;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export const discoverEvents = defineTask({
  name: 'discover-events',
  summary: "list every partner's races and events; backfill new events completely",
  schedule: { cron: '0 6,18 * * *' },
  settings: discoverEventsSettings,
  deadlineSeconds: 6 * 3600,
  async run(ctx, options: DiscoverEventsOptions) {
    const db = ctx.db as Kysely<Database>;
    const { config, signal } = ctx;
    let partners = await listPartners(db, { enabledOnly: true });
    if (options.partner) {
      partners = partners.filter((p) => p.name === options.partner);
      if (partners.length === 0) throw new UsageError(`no enabled partner named "${options.partner}" (ops partners list)`);
    }
    if (partners.length === 0) {
      ctx.note('No enabled partners: add one with ops partners add --name … --provider runsignup --key-env … --secret-env …');
      return { partners: 0 };
    }
    const deps = { db, config, runId: ctx.runId, owner: ctx.runId, now: ctx.now, signal, log: ctx.log, failItem: ctx.failItem, env: ctx.env };
    const sessions = await openSessions(deps, partners);
    ctx.log.info('discovering races', { partners: sessions.size });
    await Promise.all([...sessions.values()].map((s) => s.pruneLedger().catch(() => {})));

    const counts: Record<EventUpsert | 'races', number> = { races: 0, new: 0, changed: 0, unchanged: 0, 'other-partner': 0 };
    const startDate = isoDate(new Date(ctx.now().getTime() - config.daysBack * 86_400_000));
    const served = new Map<number, PartnerSession>();
    const limit = pLimit(config.partnerConcurrency);
    await Promise.all(
      [...sessions.entries()].map(([partnerId, session]) =>
        limit(async () => {
          if (signal.aborted) return;
          try {
            for await (const page of session.client().partnerRaces({ startDate }, signal)) {
              for (const r of page.rejected) ctx.failItem(`${session.partner.name}: ${r.item}`, r.reason);
              for (const race of page.races) await storeRace(db, partnerId, race, ctx.now(), counts);
            }
            served.set(partnerId, session);
          } catch (err) {
            if (isAbortError(err) || signal.aborted) return;
            if (err instanceof BudgetExhaustedError) ctx.note(`${err.message}: discovery deferred to the next run`);
            else if (err instanceof UpstreamError) ctx.failItem(`partner ${session.partner.name}`, errorMessage(err));
            else throw err;
          }
        }),
      ),
    );
    throwIfAborted(signal);

    // Backfills: only partners whose listing worked (bad credentials would fail every event again).
    const pending = (await eventsAwaitingBackfill(db)).filter((e) => served.has(e.partner_id));
    let done = 0;
    ctx.progress.update({ done, total: pending.length, noun: 'backfill' });
    const totals = await runEventJobs(
      { ...deps, onEventDone: () => ctx.progress.update({ done: ++done, total: pending.length, noun: 'backfill' }) },
      served,
      pending.map((event) => ({ event })),
    );
    if (totals.deferred > 0) ctx.note(`${totals.deferred} backfill(s) deferred: a partner's hourly call budget is spent; the next run resumes them`);
    return {
      partners: partners.length,
      partners_served: served.size,
      races: counts.races,
      events_new: counts.new,
      events_changed: counts.changed,
      events_unchanged: counts.unchanged,
      events_of_other_partners: counts['other-partner'],
      backfills_pending: pending.length,
      ...totals,
    };
  },
});

async function storeRace(db: Kysely<Database>, partnerId: number, race: Race, at: Date, counts: Record<EventUpsert | 'races', number>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await upsertRace(tx, partnerId, race, at);
    for (const event of race.events) counts[await upsertRaceEvent(tx, partnerId, race.raceId, race.timezone, event, at)] += 1;
  });
  counts.races += 1;
}
