import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { readSettings } from '../src/core/config.js';
import type { EventState } from '../src/db/queries/race-events.js';
import { planSync, scheduleOf, tierOf } from '../src/tasks/races/schedule.js';
import { tierSettings } from '../src/tasks/races/settings.js';

const config = readSettings(tierSettings, {});
const H = 3_600_000;
const M = 60_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);

let nextId = 1;
function event(start: Date | null, extra: Partial<EventState> = {}): EventState {
  const id = nextId++;
  return {
    event_id: id,
    race_id: 1,
    partner_id: 1,
    partner_name: 'p',
    name: `event ${id}`,
    start_time: start,
    timezone: 'America/New_York',
    backfill_status: 'complete',
    backfill_next_page: 1,
    backfill_started_at: null,
    bookmark: null,
    last_synced_at: null,
    participants: 0,
    removed: 0,
    lease_owner: null,
    lease_until: null,
    ...extra,
  };
}

test('tiers at their exact edges: 24 h is near, 4 h is near, just under 4 h imminent, start + 1 h still synced, a millisecond later not', () => {
  assert.equal(tierOf(at(24 * H + 1), NOW, config), 'far');
  assert.equal(tierOf(at(24 * H), NOW, config), 'near');
  assert.equal(tierOf(at(4 * H), NOW, config), 'near');
  assert.equal(tierOf(at(4 * H - 1), NOW, config), 'imminent');
  assert.equal(tierOf(at(0), NOW, config), 'imminent');
  assert.equal(tierOf(at(-H), NOW, config), 'imminent');
  assert.equal(tierOf(at(-H - 1), NOW, config), 'finished');
});

test('tiers across a DST change count real hours, not wall-clock hours', () => {
  // US clocks spring forward on 2026-03-08 at 02:00: from 08:00 the day before to 08:00 that day is 23 hours.
  const start = DateTime.fromObject({ year: 2026, month: 3, day: 8, hour: 8 }, { zone: 'America/New_York' }).toJSDate();
  const dayBefore = DateTime.fromObject({ year: 2026, month: 3, day: 7, hour: 8 }, { zone: 'America/New_York' }).toJSDate();
  assert.equal(start.getTime() - dayBefore.getTime(), 23 * H);
  assert.equal(tierOf(start, dayBefore, config), 'near');
  // Falling back on 2026-11-01: 08:00 to 08:00 is 25 hours, so a day before is still far.
  const fallStart = DateTime.fromObject({ year: 2026, month: 11, day: 1, hour: 8 }, { zone: 'America/New_York' }).toJSDate();
  const fallBefore = DateTime.fromObject({ year: 2026, month: 10, day: 31, hour: 8 }, { zone: 'America/New_York' }).toJSDate();
  assert.equal(tierOf(fallStart, fallBefore, config), 'far');
  assert.equal(tierOf(fallStart, new Date(fallBefore.getTime() + H), config), 'near');
});

test('due once the tier interval has passed, less the slack', () => {
  const imminent = (last: number) => scheduleOf(event(at(H), { last_synced_at: at(-last) }), NOW, config);
  assert.equal(imminent(60_000 - 15_000).due, true, 'a 1-minute tier is due 45 s after a sync (cron every minute)');
  assert.equal(imminent(60_000 - 15_001).due, false);
  const far = scheduleOf(event(at(48 * H), { last_synced_at: at(-(4 * H - 15_000)) }), NOW, config);
  assert.equal(far.due, true);
  const farNot = scheduleOf(event(at(48 * H), { last_synced_at: at(-3 * H) }), NOW, config);
  assert.equal(farNot.due, false);
  assert.match(farNot.reason, /far \(every 4\.0 h\): last sync 3\.0 h ago, due in/);
  assert.equal(scheduleOf(event(at(48 * H)), NOW, config).due, true, 'never synced is due');
  assert.equal(scheduleOf(event(at(-2 * H)), NOW, config).due, false, 'finished is never due');
  const backfill = scheduleOf(event(at(48 * H), { backfill_status: 'running', backfill_next_page: 4 }), NOW, config);
  assert.equal(backfill.kind, 'backfill');
  assert.match(backfill.reason, /resume the full backfill at page 4/);
});

test('a run takes the most urgent first, at most each tier cap', () => {
  const events = [
    ...Array.from({ length: 15 }, (_, i) => event(at(48 * H + i * M))),
    ...Array.from({ length: 25 }, (_, i) => event(at(10 * H + i * M), { last_synced_at: at(-20 * M - i * M) })),
    ...Array.from({ length: 55 }, (_, i) => event(at(2 * H + i * M), { last_synced_at: at(-2 * M) })),
    event(at(30 * M), { last_synced_at: at(-30 * M) }),
    event(at(30 * M), { last_synced_at: at(-10_000) }),
  ];
  const plan = planSync(events, NOW, config);
  const selected = plan.filter((p) => p.selected);
  const count = (tier: string) => selected.filter((p) => p.tier === tier).length;
  assert.deepEqual([count('imminent'), count('near'), count('far')], [50, 20, 10]);
  // Imminent first, and within it the longest overdue first.
  assert.equal(selected[0]?.tier, 'imminent');
  assert.equal(selected[0]?.event.last_synced_at?.getTime(), at(-30 * M).getTime());
  const tiers = selected.map((p) => p.tier);
  assert.deepEqual(
    tiers,
    [...tiers].sort((a, b) => ['imminent', 'near', 'far'].indexOf(a) - ['imminent', 'near', 'far'].indexOf(b)),
  );
  // The near events overdue longest were taken; the rest wait with a reason.
  const nearTaken = selected.filter((p) => p.tier === 'near').map((p) => p.event.last_synced_at!.getTime());
  assert.ok(Math.min(...nearTaken) <= at(-44 * M).getTime());
  const left = plan.filter((p) => p.due && !p.selected);
  assert.equal(left.length, 6 + 5 + 5);
  assert.ok(left.every((p) => /over this run's cap/.test(p.reason)));
  assert.equal(plan.find((p) => p.event.last_synced_at?.getTime() === at(-10_000).getTime())?.due, false);
});
