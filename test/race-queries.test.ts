/** The race tables' statements, on both databases: bulk participant writes, removals, leases, the call budget. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addPartner } from '../src/db/queries/partners.js';
import { markNotListed, markRemoved, participantCounts, upsertParticipants, type ParticipantRow } from '../src/db/queries/participants.js';
import { callsInLastHour, credentialKey, takeProviderCall } from '../src/db/queries/provider-calls.js';
import { claimEvent, releaseLease, renewLease, upsertRace, upsertRaceEvent } from '../src/db/queries/race-events.js';
import { backends } from './helpers/db.js';

const T0 = new Date('2026-06-01T12:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

function participant(id: number, extra: Partial<ParticipantRow> = {}): ParticipantRow {
  return {
    registrationId: id,
    userId: id + 1000,
    firstName: `First ${id}`,
    lastName: 'O\'Brien, "Jr"',
    email: `p${id}@example.com`,
    dob: '1991-04-02',
    gender: 'F',
    age: 34,
    bibNum: String(id),
    chipNum: null,
    registrationDate: T0,
    lastModified: T0,
    amountPaid: '45.00',
    teamInfo: id % 2 ? { team: 'A {x}' } : null,
    city: 'Boston',
    state: 'MA',
    zipcode: '02110',
    countryCode: 'US',
    ...extra,
  };
}

for (const backend of backends) {
  describe(`race queries on ${backend.name}`, { skip: backend.skip }, () => {
    test('participants: one statement per page, rows written counted, a repeated id in a page written once, removals marked never deleted', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const partner = await addPartner(k, { name: 'Acme', provider: 'runsignup', keyEnv: 'ACME_KEY', secretEnv: 'ACME_SECRET' }, T0);
        await upsertRace(
          k,
          partner.id,
          {
            raceId: 10,
            name: 'Harbor',
            timezone: 'America/New_York',
            nextDate: '2026-06-10',
            nextEndDate: null,
            lastModified: T0,
            address: { city: 'Boston' },
          },
          T0,
        );
        const ev = { eventId: 20, name: '10K', startTime: later(3600_000), endTime: null, eventType: 'running_race', distance: '10K' };
        assert.equal(await upsertRaceEvent(k, partner.id, 10, 'America/New_York', ev, T0), 'new');
        assert.equal(await upsertRaceEvent(k, partner.id, 10, 'America/New_York', ev, T0), 'unchanged');
        assert.equal(await upsertRaceEvent(k, partner.id, 10, 'America/New_York', { ...ev, startTime: later(7200_000) }, T0), 'changed');
        const other = await addPartner(k, { name: 'Other', provider: 'runsignup', keyEnv: 'O_KEY', secretEnv: 'O_SECRET' }, T0);
        assert.equal(await upsertRaceEvent(k, other.id, 10, 'America/New_York', { ...ev, name: 'hijack' }, T0), 'other-partner');

        const page = [participant(1), participant(2), participant(3), participant(2, { bibNum: 'B2' })];
        assert.equal(await upsertParticipants(k, 20, 10, page, T0), 3);
        assert.equal(await upsertParticipants(k, 20, 10, [participant(3, { age: 35 }), participant(4)], later(1000)), 2);
        assert.deepEqual(await participantCounts(k, 20), { current: 4, removed: 0 });
        const row2 = await k.selectFrom('participants').selectAll().where('registration_id', '=', 2).executeTakeFirstOrThrow();
        assert.equal(row2.bib_num, 'B2');
        assert.equal(row2.last_name, 'O\'Brien, "Jr"');
        assert.equal(Number(row2.amount_paid), 45);
        const row1 = await k.selectFrom('participants').selectAll().where('registration_id', '=', 1).executeTakeFirstOrThrow();
        assert.deepEqual(row1.team_info, { team: 'A {x}' });

        const marked = await markRemoved(
          k,
          20,
          10,
          [
            { registrationId: 1, lastModified: later(5000), reason: 'transferred', newRegistrationId: 99 },
            { registrationId: 77, lastModified: null, reason: 'removed', newRegistrationId: null },
          ],
          later(6000),
        );
        assert.equal(marked, 2);
        const removed1 = await k.selectFrom('participants').selectAll().where('registration_id', '=', 1).executeTakeFirstOrThrow();
        assert.equal(removed1.removed_reason, 'transferred');
        assert.equal(Number(removed1.new_registration_id), 99);
        assert.equal(removed1.first_name, 'First 1', 'marked, not deleted');
        assert.deepEqual(await participantCounts(k, 20), { current: 3, removed: 2 });

        // Listed again: current again.
        await upsertParticipants(k, 20, 10, [participant(1)], later(7000));
        assert.deepEqual(await participantCounts(k, 20), { current: 4, removed: 1 });
        // A full pass from later(8000) saw only 1 and 4: 2 and 3 are marked not_listed.
        await upsertParticipants(k, 20, 10, [participant(1), participant(4)], later(8000));
        assert.equal(await markNotListed(k, 20, later(8000), later(9000)), 2);
        assert.deepEqual(await participantCounts(k, 20), { current: 2, removed: 3 });
      });
    });

    test('participants: 10,000 rows in one page go in with one statement', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const rows = Array.from({ length: 10_000 }, (_, i) => participant(i + 1));
        assert.equal(await upsertParticipants(k, 30, 10, rows, T0), 10_000);
        assert.deepEqual(await participantCounts(k, 30), { current: 10_000, removed: 0 });
      });
    });

    test('leases: one owner at a time, taken over once expired, a completed sync since the plan is not claimed again', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const partner = await addPartner(k, { name: 'Acme', provider: 'runsignup', keyEnv: 'ACME_KEY', secretEnv: 'ACME_SECRET' }, T0);
        await upsertRace(
          k,
          partner.id,
          { raceId: 10, name: 'Harbor', timezone: 'UTC', nextDate: null, nextEndDate: null, lastModified: null, address: null },
          T0,
        );
        await upsertRaceEvent(
          k,
          partner.id,
          10,
          'UTC',
          { eventId: 20, name: '5K', startTime: later(3600_000), endTime: null, eventType: null, distance: null },
          T0,
        );
        const a = await claimEvent(k, 20, 'run-a', T0, later(60_000));
        assert.equal(a?.lease_owner, 'run-a');
        assert.equal(await claimEvent(k, 20, 'run-b', later(1000), later(61_000)), undefined);
        assert.equal(await renewLease(k, 20, 'run-a', later(120_000)), true);
        assert.equal(await claimEvent(k, 20, 'run-b', later(90_000), later(150_000)), undefined, 'renewed lease still held');
        const b = await claimEvent(k, 20, 'run-b', later(120_000), later(180_000));
        assert.equal(b?.lease_owner, 'run-b', 'an expired lease is taken over');
        assert.equal(await renewLease(k, 20, 'run-a', later(200_000)), false, 'the old owner learns it lost the lease');
        await releaseLease(k, 20, 'run-b');
        await k
          .updateTable('race_events')
          .set({ last_synced_at: later(130_000) })
          .where('event_id', '=', 20)
          .execute();
        assert.equal(await claimEvent(k, 20, 'run-c', later(140_000), later(200_000), later(100_000)), undefined, 'synced since the plan');
        assert.ok(await claimEvent(k, 20, 'run-c', later(140_000), later(200_000), later(130_000)));
      });
    });

    test('call budget: at most N calls in any rolling hour per credential', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const cred = credentialKey('key-1');
        assert.notEqual(cred, 'key-1');
        for (let i = 0; i < 5; i++) assert.equal((await takeProviderCall(k, cred, later(i * 1000), 5)).taken, true);
        const refused = await takeProviderCall(k, cred, later(10_000), 5);
        assert.equal(refused.taken, false);
        assert.equal(refused.freeAt?.getTime(), later(3600_000).getTime());
        assert.equal((await takeProviderCall(k, credentialKey('key-2'), later(10_000), 5)).taken, true, 'another credential has its own budget');
        assert.equal((await takeProviderCall(k, cred, later(3600_001), 5)).taken, true, 'the oldest call left the window');
        assert.equal(await callsInLastHour(k, cred, later(3600_001)), 5);
      });
    });
  });
}
