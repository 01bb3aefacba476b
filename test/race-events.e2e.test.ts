/**
 * discover-events and sync-event end to end: the real `ops` binary against the
 * RunSignUp simulator, on the embedded database and on Postgres.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startRunSignUpSim, type RunSignUpSim, type RunSignUpSimOptions } from '../src/sandbox/runsignup-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { addSimPartners, runSignUpEnv } from './helpers/runsignup.js';
import { runOps, startOps, waitForOutput } from './helpers/ops.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const MIN = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

let sims: RunSignUpSim[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function sim(options: RunSignUpSimOptions = {}): Promise<RunSignUpSim> {
  const s = await startRunSignUpSim({
    seed: 11,
    partners: 2,
    racesPerPartner: 2,
    eventsPerRace: [1, 2],
    maxParticipants: 300,
    churnPerHour: 0,
    now: NOW,
    ...options,
  });
  sims.push(s);
  return s;
}

const envFor = runSignUpEnv;

const addPartners = (db: TestDatabase, s: RunSignUpSim, count = s.partners.length) => addSimPartners(db, s, NOW, count);

async function currentIds(db: TestDatabase, eventId: number): Promise<number[]> {
  const rows = await db.use((k) =>
    k.selectFrom('participants').select('registration_id').where('event_id', '=', eventId).where('removed_at', 'is', null).orderBy('registration_id').execute(),
  );
  return rows.map((r) => Number(r.registration_id));
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

for (const backend of backends) {
  describe(`race events on ${backend.name}`, { skip: backend.skip }, () => {
    test('discover-events stores every partner event and backfills it completely; a rerun backfills nothing and fetches no participant page', async () => {
      const s = await sim();
      const db = await backend.create();
      await addPartners(db, s);
      const first = await runOps(['discover-events', '--json'], envFor(db, s, NOW));
      assert.equal(first.code, 0, first.stderr);
      const events = s.events();
      assert.ok(events.length >= 4);
      assert.equal(first.json.stats.events_new, events.length);
      assert.equal(first.json.stats.backfilled, events.length);
      for (const e of events) assert.deepEqual(await currentIds(db, e.eventId), sorted(s.currentRegistrations(e.eventId)), `event ${e.eventId}`);
      const history = await db.use((k) => k.selectFrom('sync_history').selectAll().execute());
      assert.equal(history.length, events.length);
      assert.ok(history.every((h) => h.kind === 'full_sync' && h.status === 'completed' && h.api_calls === h.pages && h.bookmark_after !== null));
      const stored = await db.use((k) => k.selectFrom('race_events').select(['event_id', 'start_time', 'timezone', 'backfill_status']).execute());
      for (const e of events) {
        const row = stored.find((r) => Number(r.event_id) === e.eventId)!;
        assert.equal(new Date(row.start_time!).getTime(), e.startTime.getTime(), 'start stored as the UTC instant of the local time');
        assert.equal(row.timezone, e.timezone);
        assert.equal(row.backfill_status, 'complete');
      }

      const pagesBefore = Object.keys(s.stats().pages).length;
      const second = await runOps(['discover-events', '--json'], envFor(db, s, at(MIN)));
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.json.stats.events_new, 0);
      assert.equal(second.json.stats.events_unchanged, events.length);
      assert.equal(second.json.stats.backfilled, 0);
      assert.equal(Object.keys(s.stats().pages).length, pagesBefore, 'no participant page fetched again');
    });

    test('sync-event: additions, edits, removals and transfers since the bookmark; the bookmark advances; a change at the sync start is not skipped', async () => {
      const s = await sim();
      const db = await backend.create();
      await addPartners(db, s);
      assert.equal((await runOps(['discover-events'], envFor(db, s, NOW))).code, 0);
      const event = s.events().find((e) => s.currentRegistrations(e.eventId).length >= 5)!;
      const [a, b, c] = s.currentRegistrations(event.eventId);
      const T1 = at(10 * MIN);
      s.setNow(T1);
      const added = s.addParticipants(event.eventId, 3);
      s.editParticipant(event.eventId, a!);
      s.removeParticipant(event.eventId, b!, 'removed');
      const newId = s.removeParticipant(event.eventId, c!, 'transferred');
      assert.ok(newId);
      const sync = await runOps(['sync-event', '--event', String(event.eventId), '--json'], envFor(db, s, T1));
      assert.equal(sync.code, 0, sync.stderr);
      assert.equal(sync.json.stats.synced, 1);
      assert.deepEqual(await currentIds(db, event.eventId), sorted(s.currentRegistrations(event.eventId)));
      for (const id of added) assert.ok((await currentIds(db, event.eventId)).includes(id));
      const rows = await db.use((k) => k.selectFrom('participants').selectAll().where('event_id', '=', event.eventId).execute());
      const byId = new Map(rows.map((r) => [Number(r.registration_id), r]));
      assert.equal(byId.get(b!)?.removed_reason, 'removed');
      assert.ok(byId.get(b!)?.first_name, 'a removed registration keeps its data: marked, never deleted');
      assert.equal(byId.get(c!)?.removed_reason, 'transferred');
      assert.equal(Number(byId.get(c!)?.new_registration_id), newId);
      const history = await db.use((k) => k.selectFrom('sync_history').selectAll().where('kind', '=', 'incremental').execute());
      assert.equal(history.length, 1);
      assert.equal(history[0]!.status, 'completed');
      assert.ok(history[0]!.bookmark_after! > history[0]!.bookmark_before!);
      assert.ok(new Date(history[0]!.bookmark_after!).getTime() <= T1.getTime(), 'the bookmark is the sync start minus the overlap');

      // A change stamped at the moment the last sync began is still caught by the next one (inclusive, with overlap).
      s.setNow(T1);
      s.editParticipant(event.eventId, added[0]!);
      const next = await runOps(['sync-event', '--event', String(event.eventId), '--json'], envFor(db, s, at(11 * MIN)));
      assert.equal(next.code, 0, next.stderr);
      assert.ok(next.json.stats.participants_upserted >= 1);
      const bib = await db.use((k) =>
        k.selectFrom('participants').select('bib_num').where('event_id', '=', event.eventId).where('registration_id', '=', added[0]!).executeTakeFirst(),
      );
      assert.ok(bib?.bib_num);
    });

    test('sync-event --plan shows what is due by tier and calls nothing; sync-event syncs exactly the due events, the most urgent first', async () => {
      const s = await sim();
      const db = await backend.create();
      await addPartners(db, s);
      assert.equal((await runOps(['discover-events'], envFor(db, s, NOW))).code, 0);
      const calls = () => Object.values(s.stats().calls).reduce((x, y) => x + y, 0);
      const before = calls();
      const when = at(5 * 60 * MIN);
      const plan = await runOps(['sync-event', '--plan', '--json'], envFor(db, s, when));
      assert.equal(plan.code, 0, plan.stderr);
      assert.equal(calls(), before, '--plan calls nothing');
      const live = s.events().filter((e) => e.startTime.getTime() >= when.getTime() - 60 * MIN);
      assert.equal(plan.json.events.length, live.length);
      for (const p of plan.json.events) {
        const until = new Date(p.start_time).getTime() - when.getTime();
        const tier = until < 4 * 60 * MIN ? 'imminent' : until <= 24 * 60 * MIN ? 'near' : 'far';
        assert.equal(p.tier, tier, `event ${p.event_id}`);
        assert.equal(p.due, true, 'every event was last synced 5 h ago');
      }
      const run = await runOps(['sync-event', '--json'], envFor(db, s, when));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.json.stats.synced, live.length);
      // Right after: only the 1-minute tier becomes due again a minute later.
      const later = await runOps(['sync-event', '--plan', '--json'], envFor(db, s, new Date(when.getTime() + 61_000)));
      const due = later.json.events.filter((p: any) => p.due).map((p: any) => p.tier);
      assert.ok(
        due.every((t: string) => t === 'imminent'),
        JSON.stringify(due),
      );
      const status = await runOps(['sync-status', '--json'], envFor(db, s, when));
      assert.equal(status.code, 0, status.stderr);
      assert.ok(status.json.every((r: any) => r.bookmark && r.last_sync_status));
    });

    test('a partner with bad credentials or a missing variable fails alone, named; no secret is printed', async () => {
      const s = await sim({ partners: 3 });
      const db = await backend.create();
      await addPartners(db, s, 3);
      s.setOptions({ badCredentials: [s.partners[1]!.name] });
      const env = envFor(db, s, NOW);
      delete env.P3_SECRET;
      const result = await runOps(['discover-events', '--json'], env);
      assert.equal(result.code, 2, result.stderr);
      const items = result.json.failures.map((f: any) => `${f.item}: ${f.reason}`).join('\n');
      assert.match(items, new RegExp(`partner ${s.partners[1]!.name}: .*(credential|error 6)`, 'i'));
      assert.match(items, new RegExp(`partner ${s.partners[2]!.name}: \\$P3_SECRET not set`));
      const good = s.events().filter((e) => e.partner === s.partners[0]!.name);
      assert.equal(result.json.stats.backfilled, good.length);
      for (const p of s.partners) {
        assert.ok(!result.stdout.includes(p.apiSecret) && !result.stderr.includes(p.apiSecret), 'no secret printed');
      }
      const list = await runOps(['partners', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(list.json.map((p: any) => [p.secret_env, p.secret_set]).sort(), [
        ['P1_SECRET', true],
        ['P2_SECRET', true],
        ['P3_SECRET', false],
      ]);
      assert.ok(!list.stdout.includes(s.partners[0]!.apiSecret));
      const doctor = await runOps(['doctor', '--json'], env);
      assert.equal(doctor.code, 1, doctor.stderr);
      const verdicts = Object.fromEntries(
        doctor.json.checks.filter((c: any) => c.check.startsWith('partner: ')).map((c: any) => [c.check, `${c.verdict} ${c.detail}`]),
      );
      assert.match(verdicts[`partner: ${s.partners[0]!.name}`], /^ok 200 in/);
      assert.match(verdicts[`partner: ${s.partners[1]!.name}`], /^fail .*(credential|error 6)/i);
      assert.match(verdicts[`partner: ${s.partners[2]!.name}`], /^fail \$P3_SECRET not set/);
      assert.ok(!doctor.stdout.includes(s.partners[1]!.apiSecret));
    });

    test('a malformed participant is a failed item with its reason; the rest of its page is stored', async () => {
      const s = await sim({ partners: 1, racesPerPartner: 1, eventsPerRace: [1, 1], maxParticipants: 300, malformedRate: 0.05 });
      const db = await backend.create();
      await addPartners(db, s);
      const result = await runOps(['discover-events', '--json'], envFor(db, s, NOW));
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.json.failure_count > 0);
      assert.equal(result.json.stats.records_rejected, result.json.failure_count);
      assert.ok(
        result.json.failures.every((f: any) => /^event \d+ \(.*\) participant #\d+ of page \d+|registration/.test(f.item) && f.reason),
        JSON.stringify(result.json.failures[0]),
      );
      const event = s.events()[0]!;
      const stored = await currentIds(db, event.eventId);
      assert.equal(stored.length + result.json.failure_count, s.stats().rowsServed, 'every row served is stored or failed with a reason');
      const history = await db.use((k) => k.selectFrom('sync_history').selectAll().executeTakeFirstOrThrow());
      assert.equal(history.status, 'completed');
      assert.equal(history.records_failed, result.json.failure_count);
      // A NUL character (no Postgres text holds one) fails its participant, not its page.
      const nul = result.json.failures.filter((f: any) => /^user\.last_name contains a NUL character/.test(f.reason));
      assert.ok(nul.length > 0, JSON.stringify(result.json.failures.map((f: any) => f.reason)));
      const nulIds = nul.map((f: any) => Number(/registration (\d+)/.exec(f.item)?.[1]));
      const storedIds = new Set(stored);
      assert.ok(
        nulIds.every((id: number) => id > 0 && !storedIds.has(id)),
        'the participant with the NUL is not stored',
      );
    });

    test('the hourly budget: work past it is deferred, not failed, and resumes when calls are free again', async () => {
      const s = await sim({ partners: 1 });
      const db = await backend.create();
      await addPartners(db, s);
      const first = await runOps(['discover-events', '--json'], envFor(db, s, NOW, { RUNSIGNUP_CALLS_PER_HOUR: '3' }));
      assert.equal(first.code, 0, first.stderr);
      assert.ok(first.json.stats.deferred > 0);
      assert.ok((s.stats().calls[s.partners[0]!.apiKey] ?? 0) <= 3, 'the simulator saw no more than the budget');
      assert.match(first.json.notes.join('\n'), /deferred/);
      const deferred = await db.use((k) => k.selectFrom('sync_history').select('status').where('status', '=', 'deferred').execute());
      assert.ok(deferred.length > 0);
      const second = await runOps(['discover-events', '--json'], envFor(db, s, at(61 * MIN)));
      assert.equal(second.code, 0, second.stderr);
      for (const e of s.events()) assert.deepEqual(await currentIds(db, e.eventId), sorted(s.currentRegistrations(e.eventId)));
      const pages = s.stats().pages;
      assert.ok(
        Object.values(pages).every((n) => n === 1),
        `no page fetched twice: ${JSON.stringify(pages)}`,
      );
    });
  });
}

for (const backend of backends) {
  describe(`race events under failure on ${backend.name}`, { skip: backend.skip }, () => {
    test('SIGKILL mid-backfill, then a rerun: complete, no duplicate, no page fetched twice beyond the one in flight', async () => {
      const s = await sim({ partners: 1, racesPerPartner: 1, eventsPerRace: [1, 1], maxParticipants: 2000, latencyMs: 60 });
      const event = s.events()[0]!;
      const expected = sorted(s.currentRegistrations(event.eventId));
      assert.ok(expected.length >= 300, `enough participants for many pages (${expected.length})`);
      const db = await backend.create();
      await addPartners(db, s);
      const env = envFor(db, s, NOW, { RUNSIGNUP_PAGE_SIZE: '20', OPS_LOG_LEVEL: 'debug', SYNC_EVENT_LEASE_SECONDS: '30' });
      const running = startOps(['discover-events'], env);
      await waitForOutput(running, /backfill page stored.*"page":5\b/);
      running.child.kill('SIGKILL');
      await running.done;
      // The dead run's lease on the event (30 s past its last page) runs out; the next run, minutes later by its clock, resumes.
      const rerun = await runOps(['discover-events', '--json'], { ...env, OPS_NOW: at(5 * MIN).toISOString() });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(rerun.json.stats.backfilled, 1);
      assert.deepEqual(await currentIds(db, event.eventId), expected);
      const total = await db.use((k) =>
        k
          .selectFrom('participants')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow(),
      );
      assert.equal(Number(total.n), expected.length, 'no duplicate rows');
      const fetched = Object.entries(s.stats().pages).filter(([key]) => key.startsWith(`${event.eventId}:`) && key.endsWith(':full'));
      const twice = fetched.filter(([, n]) => n > 1);
      assert.ok(twice.length <= 1, `pages fetched twice: ${JSON.stringify(twice)}`);
      assert.ok(twice.every(([, n]) => n === 2));
      const history = await db.use((k) => k.selectFrom('sync_history').select(['status']).orderBy('started_at').execute());
      assert.deepEqual(
        history.map((h) => h.status),
        ['interrupted', 'completed'],
      );
    });
  });
}

describe('sync-event processes at once (postgres)', { skip: backends[1]!.skip }, () => {
  test('3 concurrent sync-event processes split the due events, none synced twice, the hourly budget and the 2 calls in flight held across them', async () => {
    const s = await sim({ partners: 2, racesPerPartner: 4, eventsPerRace: [2, 3], maxParticipants: 60, latencyMs: 150 });
    const db = await backends[1]!.create();
    await addPartners(db, s);
    assert.equal((await runOps(['discover-events'], envFor(db, s, NOW))).code, 0);
    const when = at(5 * 60 * MIN);
    s.setNow(when);
    const due = s.events().filter((e) => e.startTime.getTime() >= when.getTime() - 60 * MIN).length;
    assert.ok(due >= 8, `enough due events (${due})`);
    // Five hours on, the discovery's calls are out of the rolling hour: a budget for a few syncs per partner, not all of them.
    const budget = 6;
    const env = envFor(db, s, when, { RUNSIGNUP_CALLS_PER_HOUR: String(budget), SYNC_TIER_FAR_MAX: '100', SYNC_TIER_NEAR_MAX: '100' });
    const callsBefore = { ...s.stats().calls };
    const results = await Promise.all([1, 2, 3].map(() => runOps(['sync-event', '--json'], env)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const synced = results.reduce((n, r) => n + r.json.stats.synced, 0);
    const deferred = results.reduce((n, r) => n + r.json.stats.deferred, 0);
    assert.ok(synced > 0 && deferred > 0, `synced ${synced}, deferred ${deferred}`);
    const history = await db.use((k) => k.selectFrom('sync_history').select(['event_id', 'status', 'run_id']).where('kind', '=', 'incremental').execute());
    const completed = history.filter((h) => h.status === 'completed');
    assert.equal(new Set(completed.map((h) => String(h.event_id))).size, completed.length, 'no event synced twice');
    assert.equal(completed.length, synced);
    for (const p of s.partners) {
      const calls = (s.stats().calls[p.apiKey] ?? 0) - (callsBefore[p.apiKey] ?? 0);
      assert.ok(calls <= budget, `${p.name}: ${calls} calls in the hour, budget ${budget}`);
    }
    for (const p of s.partners) assert.ok((s.stats().maxInFlightSeen[p.apiKey] ?? 0) <= 2, `${p.name}: at most 2 calls in flight across the processes`);
    assert.equal(s.stats().byStatus['429'] ?? 0, 0, 'no avoidable 429');
    assert.equal(s.stats().byStatus.error_14 ?? 0, 0, 'no avoidable error 14');
  });
});
