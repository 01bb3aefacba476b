/**
 * A backfill after a database server crash, on both databases. Its page
 * transactions commit asynchronously, so a crash may lose the last of them;
 * what survives is then what the backfill had committed a moment before
 * (the WAL replays in order, whole transactions). The rerun must fetch
 * again from the last page that survived and end complete, with no
 * duplicate.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startRunSignUpSim, type RunSignUpSim } from '../src/sandbox/runsignup-sim.js';
import { backends } from './helpers/db.js';
import { addSimPartners, runSignUpEnv } from './helpers/runsignup.js';
import { runOps, startOps, waitForOutput } from './helpers/ops.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const PAGE = 20;

let sims: RunSignUpSim[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

for (const backend of backends) {
  describe(`a backfill after a database crash on ${backend.name}`, { skip: backend.skip }, () => {
    test('the last page commit lost: the rerun fetches from the last page that survived, complete, no duplicate', async () => {
      const s = await startRunSignUpSim({
        seed: 11,
        partners: 1,
        racesPerPartner: 1,
        eventsPerRace: [1, 1],
        maxParticipants: 2000,
        churnPerHour: 0,
        now: NOW,
        latencyMs: 60,
      });
      sims.push(s);
      const event = s.events()[0]!;
      const expected = [...s.currentRegistrations(event.eventId)].sort((a, b) => a - b);
      assert.ok(expected.length >= 10 * PAGE, `enough participants for many pages (${expected.length})`);
      const db = await backend.create();
      await addSimPartners(db, s, NOW, 1);
      const env = runSignUpEnv(db, s, NOW, { RUNSIGNUP_PAGE_SIZE: String(PAGE), OPS_LOG_LEVEL: 'debug', SYNC_EVENT_LEASE_SECONDS: '30' });
      const running = startOps(['discover-events'], env);
      await waitForOutput(running, /backfill page stored.*"page":4\b/);
      running.child.kill('SIGKILL');
      await running.done;

      // The crash: the last merged page's transaction lost with all it wrote.
      const lost = await db.use(async (k) => {
        const { backfill_next_page: next } = await k
          .selectFrom('race_events')
          .select('backfill_next_page')
          .where('event_id', '=', event.eventId)
          .executeTakeFirstOrThrow();
        const stored = await k.selectFrom('participants').select('registration_id').where('event_id', '=', event.eventId).orderBy('registration_id').execute();
        assert.deepEqual(
          stored.map((r) => Number(r.registration_id)),
          expected.slice(0, (next - 1) * PAGE),
          'the pages before the next one are stored, and nothing else',
        );
        const lastPage = next - 1;
        const lostIds = expected.slice((lastPage - 1) * PAGE, lastPage * PAGE);
        await k.deleteFrom('participants').where('event_id', '=', event.eventId).where('registration_id', 'in', lostIds).execute();
        await k.updateTable('race_events').set({ backfill_next_page: lastPage }).where('event_id', '=', event.eventId).execute();
        return lastPage;
      });

      const rerun = await runOps(['discover-events', '--json'], { ...env, OPS_NOW: new Date(NOW.getTime() + 5 * 60_000).toISOString() });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(rerun.json.stats.backfilled, 1);
      assert.match(rerun.stderr, new RegExp(`resuming a backfill.*"page":${lost}\\b`));
      const ids = await db.use(async (k) =>
        (await k.selectFrom('participants').select('registration_id').where('event_id', '=', event.eventId).orderBy('registration_id').execute()).map((r) =>
          Number(r.registration_id),
        ),
      );
      assert.deepEqual(ids, expected, 'complete, no duplicate');
      const state = await db.use((k) => k.selectFrom('race_events').select(['backfill_status', 'participants']).executeTakeFirstOrThrow());
      assert.deepEqual(state, { backfill_status: 'complete', participants: expected.length });
      assert.equal(s.stats().pages[`${event.eventId}:${lost}:full`], 2, 'the lost page fetched again');
    });
  });
}
