/**
 * reconcile-event end to end: the real `ops run-due` against the RunSignUp
 * simulator — two hours after an event's start, one full re-sync of its
 * participants (restoring a row an incremental sync by modification time
 * would never fetch again), once; a spent credential budget defers the job
 * (retried later, not failed). Both databases.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startRunSignUpSim, type RunSignUpSim } from '../src/sandbox/runsignup-sim.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { addSimPartners, runSignUpEnv } from './helpers/runsignup.js';
import { runOps } from './helpers/ops.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const MIN = 60_000;

let sims: RunSignUpSim[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

const envFor = runSignUpEnv;

/** The sim, its partners in the database, every event discovered and backfilled at NOW; the first event to start, with 150+ participants. */
async function discovered(db: TestDatabase) {
  const s = await startRunSignUpSim({ seed: 17, partners: 1, racesPerPartner: 2, eventsPerRace: [1, 2], maxParticipants: 120, churnPerHour: 0, now: NOW });
  sims.push(s);
  const first = [...s.events()].filter((e) => e.startTime > NOW).sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
  s.addParticipants(first.eventId, 150);
  await addSimPartners(db, s, NOW);
  const r = await runOps(['discover-events', '--json'], envFor(db, s, NOW));
  assert.equal(r.code, 0, r.stderr);
  return { s, event: first, due: new Date(first.startTime.getTime() + 2 * 60 * MIN + MIN) };
}

const current = async (db: TestDatabase, eventId: number) =>
  (await db.use((k) => k.selectFrom('participants').select('registration_id').where('event_id', '=', eventId).where('removed_at', 'is', null).execute()))
    .map((r) => Number(r.registration_id))
    .sort((a, b) => a - b);

for (const backend of backends) {
  describe(`reconcile-event on ${backend.name}`, { skip: backend.skip }, () => {
    test('two hours after its start an event is fully re-synced once: a row an incremental sync cannot see again is restored', async () => {
      const db = await backend.create();
      const { s, event, due } = await discovered(db);
      const key = `reconcile-event/${event.eventId}/production`;
      // A participant lost on our side (never modified upstream since): no incremental sync would fetch it again.
      const lost = (await current(db, event.eventId))[0]!;
      await db.use((k) => k.deleteFrom('participants').where('event_id', '=', event.eventId).where('registration_id', '=', lost).execute());

      const before = await runOps(['run-due', '--plan', '--json'], envFor(db, s, new Date(due.getTime() - 10 * MIN)));
      assert.equal(before.code, 0, before.stderr);
      assert.equal(before.json.jobs.find((j: any) => j.key === key).decision, 'later');

      s.setNow(due);
      const r = await runOps(['run-due', '--json'], envFor(db, s, due));
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.json.stats.done >= 1, JSON.stringify(r.json.stats));
      const sim = [...s.currentRegistrations(event.eventId)].sort((a, b) => a - b);
      assert.deepEqual(await current(db, event.eventId), sim);
      assert.ok(sim.includes(lost));
      const job = await db.use((k) => k.selectFrom('event_jobs').selectAll().where('job_key', '=', key).executeTakeFirstOrThrow());
      assert.deepEqual([job.status, job.attempts], ['done', 1]);
      const history = await db.use((k) =>
        k.selectFrom('sync_history').selectAll().where('event_id', '=', event.eventId).where('run_id', '=', r.json.run_id).execute(),
      );
      assert.deepEqual(
        history.map((h) => [h.kind, h.status]),
        [['full_sync', 'completed']],
      );

      const again = await runOps(['run-due', '--json'], envFor(db, s, new Date(due.getTime() + MIN)));
      assert.equal(again.code, 0, again.stderr);
      const more = await db.use((k) =>
        k.selectFrom('sync_history').select('id').where('event_id', '=', event.eventId).where('run_id', '=', again.json.run_id).execute(),
      );
      assert.equal(more.length, 0);
    });

    test('a spent credential budget defers the job (not failed, not an attempt); a later run completes it', async () => {
      const db = await backend.create();
      const { s, event, due } = await discovered(db);
      const key = `reconcile-event/${event.eventId}/production`;
      s.setNow(due);
      const spent = await runOps(['run-due', '--json'], envFor(db, s, due, { RUNSIGNUP_CALLS_PER_HOUR: '1' }));
      assert.equal(spent.code, 0, spent.stderr);
      assert.equal(spent.json.status, 'success');
      assert.ok(spent.json.stats.deferred >= 1, JSON.stringify(spent.json.stats));
      let job = await db.use((k) => k.selectFrom('event_jobs').selectAll().where('job_key', '=', key).executeTakeFirstOrThrow());
      assert.deepEqual([job.status, job.attempts], ['retry', 0]);
      assert.match(job.last_error ?? '', /deferred: .*budget/);

      const later = new Date(due.getTime() + 61 * MIN);
      s.setNow(later);
      const done = await runOps(['run-due', '--json'], envFor(db, s, later));
      assert.equal(done.code, 0, done.stderr);
      job = await db.use((k) => k.selectFrom('event_jobs').selectAll().where('job_key', '=', key).executeTakeFirstOrThrow());
      assert.deepEqual([job.status, job.attempts], ['done', 1]);
      assert.deepEqual(
        await current(db, event.eventId),
        [...s.currentRegistrations(event.eventId)].sort((a, b) => a - b),
      );
    });
  });
}
