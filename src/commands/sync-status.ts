/**
 * `ops sync-event --plan` and `ops sync-status`: the proximity schedule as the
 * next sync-event run would see it, and per event its tier, last sync, next
 * due time, counts and bookmark. Both read only; neither calls the provider.
 */
import { clockStartingAt } from '../core/clock.js';
import { readSettings } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { findEventState, syncCandidates } from '../db/queries/race-events.js';
import { lastSyncPerEvent, recentSyncHistory } from '../db/queries/sync-history.js';
import { planSync, scheduleOf, syncWindowStart, type PlanEntry } from '../tasks/races/schedule.js';
import { tierSettings } from '../tasks/races/settings.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { colorStatus } from './summary.js';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

function planJson(p: PlanEntry) {
  return {
    event_id: p.event.event_id,
    name: p.event.name,
    partner: p.event.partner_name,
    start_time: iso(p.event.start_time),
    tier: p.tier,
    kind: p.kind,
    due: p.due,
    selected: p.selected,
    due_at: iso(p.dueAt),
    last_synced_at: iso(p.event.last_synced_at),
    leased_until: iso(p.event.lease_until),
    reason: p.reason,
  };
}

export async function syncPlanCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }, runtime) => {
      const config = readSettings(tierSettings);
      const now = clockStartingAt(runtime.now)();
      const plan = planSync(await syncCandidates(db, syncWindowStart(now, config)), now, config);
      if (flags.json) {
        output.printJson({ now: now.toISOString(), events: plan.map(planJson) });
        return 0;
      }
      const c = output.color;
      const selected = plan.filter((p) => p.selected);
      output.print(
        c.bold(
          `At ${now.toISOString()}: ${selected.length} event(s) would be synced now, ${plan.filter((p) => p.due).length} due, ${plan.length} in the sync window.`,
        ),
      );
      for (const tier of ['imminent', 'near', 'far'] as const) {
        const rows = plan.filter((p) => p.tier === tier);
        if (rows.length === 0) continue;
        output.print(c.bold(`\n${tier}`));
        for (const p of rows) {
          const mark = p.selected ? c.green('sync ') : p.due ? c.yellow('wait ') : c.gray('later');
          output.print(
            `  ${mark} ${String(p.event.event_id).padEnd(10)} ${p.event.name.slice(0, 28).padEnd(28)} ${c.gray(p.event.partner_name.slice(0, 18).padEnd(18))} starts ${iso(p.event.start_time)}  ${p.reason}`,
          );
        }
      }
      if (plan.length === 0) output.print(c.gray('No event is inside the sync window. ops discover-events finds new ones.'));
      return 0;
    },
    { readOnly: true },
  );
}

export async function syncStatusCommand(flags: GlobalFlags, options: { event?: number }): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }, runtime) => {
      const config = readSettings(tierSettings);
      const now = clockStartingAt(runtime.now)();
      if (options.event !== undefined) {
        const event = await findEventState(db, options.event);
        if (!event) throw new UsageError(`no event ${options.event} is known`);
        const schedule = scheduleOf(event, now, config);
        const history = await recentSyncHistory(db, { eventId: options.event, limit: 10 });
        if (flags.json) {
          output.printJson({
            ...planJson({ ...schedule, selected: false }),
            participants: event.participants,
            removed: event.removed,
            bookmark: iso(event.bookmark),
            backfill_status: event.backfill_status,
            backfill_next_page: event.backfill_next_page,
            history,
          });
          return 0;
        }
        const c = output.color;
        output.print(`${c.bold(`${event.event_id} ${event.name}`)} (${event.partner_name}), starts ${iso(event.start_time)} (${event.timezone})`);
        output.print(`  tier ${schedule.tier}, ${schedule.due ? c.yellow('due now') : `next due ${iso(schedule.dueAt) ?? 'never'}`}: ${schedule.reason}`);
        output.print(
          `  participants ${event.participants} current, ${event.removed} removed; bookmark ${iso(event.bookmark) ?? '—'}; backfill ${event.backfill_status}${event.backfill_status !== 'complete' ? ` (next page ${event.backfill_next_page})` : ''}`,
        );
        for (const h of history) {
          output.print(
            `  ${iso(h.started_at)} ${h.kind.padEnd(11)} ${colorStatus(c, h.status.padEnd(11))} upserted ${h.records_upserted}, removed ${h.records_removed}, failed ${h.records_failed}, calls ${h.api_calls}, pages ${h.pages}${h.error ? c.red(`  ${h.error}`) : ''}`,
          );
        }
        return 0;
      }
      const events = await syncCandidates(db, new Date(0));
      const last = await lastSyncPerEvent(db);
      const rows = events.map((event) => {
        const schedule = scheduleOf(event, now, config);
        const l = last.get(event.event_id);
        return {
          ...planJson({ ...schedule, selected: false }),
          participants: event.participants,
          removed: event.removed,
          bookmark: iso(event.bookmark),
          backfill_status: event.backfill_status,
          last_sync_status: l?.status ?? null,
          last_sync_kind: l?.kind ?? null,
        };
      });
      if (flags.json) {
        output.printJson(rows);
        return 0;
      }
      const c = output.color;
      if (rows.length === 0) output.print(c.gray('No events yet. Add a partner (ops partners add) and run ops discover-events.'));
      for (const r of rows) {
        output.print(
          `${String(r.event_id).padEnd(10)} ${r.name.slice(0, 26).padEnd(26)} ${c.gray(r.partner.slice(0, 16).padEnd(16))} ${String(r.tier).padEnd(9)} ` +
            `${r.due ? c.yellow('due      ') : c.gray('ok       ')} last ${r.last_synced_at ?? '—'} ${r.last_sync_status ? colorStatus(c, r.last_sync_status) : ''} ` +
            `next ${r.due_at ?? '—'}  ${r.participants} current / ${r.removed} removed  bookmark ${r.bookmark ?? '—'}`,
        );
      }
      return 0;
    },
    { readOnly: true },
  );
}
