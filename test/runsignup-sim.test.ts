/**
 * The RunSignUp simulator on its own, over raw HTTP: the wire format of
 * upstreams.md, determinism by seed, the 1,000,000-row event computed by
 * index, the provider's limits, and churn that arrives as the clock runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { startSandbox } from '../src/sandbox/index.js';
import { describeRunSignUpSim, startRunSignUpSim, type RunSignUpSim, type RunSignUpSimOptions } from '../src/sandbox/runsignup-sim.js';

const START = new Date('2026-03-01T12:00:00Z');
const QUIET: RunSignUpSimOptions = { churnPerHour: 0, callsPerHour: 100_000 };

let sim: RunSignUpSim;
before(async () => {
  sim = await startRunSignUpSim({ seed: 11, now: START, maxParticipants: 50, hugeEventParticipants: 1_000_000, ...QUIET });
});
after(async () => {
  await sim.close();
});

function url(s: RunSignUpSim, path: string, params: Record<string, string | number>, partner = 0): string {
  const p = s.partners[partner];
  const query = new URLSearchParams({
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    api_key: p.apiKey,
    api_secret: p.apiSecret,
  });
  return `${s.baseUrl}${path}?${query}`;
}
async function get(target: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(target);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : text, headers: res.headers };
}
const participants = (s: RunSignUpSim, raceId: number, eventId: number, extra: Record<string, string | number> = {}, partner = 0) =>
  get(url(s, `/Rest/race/${raceId}/participants`, { format: 'json', event_id: eventId, sort: 'registration_id ASC', ...extra }, partner));

test('wire format: races with events in their zones, participants beside the event, removed rows inside it', async () => {
  const { status, body } = await get(url(sim, '/Rest/races', { format: 'json', events: 'T', only_partner_races: 'T', page: 1, results_per_page: 100 }));
  assert.equal(status, 200);
  const races = body.races.map((r: any) => r.race);
  assert.equal(races.length, 5, 'four races and the huge one');
  for (const race of races) {
    assert.match(race.next_date, /^\d{2}\/\d{2}\/\d{4}$/);
    assert.match(race.last_modified, /^\d{1,2}\/\d{1,2}\/\d{4} \d{2}:\d{2}$/);
    for (const e of race.events) {
      assert.match(e.start_time, /^\d{1,2}\/\d{1,2}\/\d{4} \d{2}:\d{2}$/);
      // The wall time in the race's zone is the event's instant.
      const truth = sim.events().find((x) => x.eventId === e.event_id)!;
      assert.equal(DateTime.fromFormat(e.start_time, 'M/d/yyyy HH:mm', { zone: race.timezone }).toMillis(), truth.startTime.getTime());
    }
  }
  const zones = new Set(sim.events().map((e) => e.timezone));
  assert.ok(zones.size >= 5, [...zones].join(', '));

  const event = sim.events().find((e) => e.partner === sim.partners[0].name && e.participants > 0 && e.participants < 1000)!;
  const page = await participants(sim, event.raceId, event.eventId, { results_per_page: 3 });
  assert.equal(page.body[0].event.event_id, event.eventId);
  const row = page.body[0].participants[0];
  assert.equal(typeof row.registration_id, 'number');
  assert.equal(typeof row.last_modified, 'number');
  assert.match(row.registration_date, /^\d{1,2}\/\d{1,2}\/\d{4} \d{2}:\d{2}$/);
  assert.equal(typeof row.user.user_id, 'number');

  const [id] = sim.currentRegistrations(event.eventId);
  sim.removeParticipant(event.eventId, id, 'deferred');
  const removed = await get(url(sim, `/Rest/race/${event.raceId}/removed-participants`, { format: 'json', event_id: event.eventId }));
  const r = removed.body[0].event.participants[0];
  assert.equal(r.registration_id, id);
  assert.equal(r.removed_reason, 'deferred');
  assert.equal(r.new_registration_id, null);
  assert.match(r.last_modified, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(DateTime.fromFormat(r.last_modified, 'yyyy-MM-dd HH:mm:ss', { zone: 'America/New_York' }).toSeconds(), r.last_modified_ts);
});

test('one event starts on the other side of a DST change from the start, and events span a week back to a month ahead', () => {
  const events = sim.events();
  const offsetAt = (zone: string, at: Date) => DateTime.fromJSDate(at, { zone }).offset;
  assert.ok(events.some((e) => offsetAt(e.timezone, e.startTime) !== offsetAt(e.timezone, START)));
  for (const e of events) {
    const days = (e.startTime.getTime() - START.getTime()) / 86_400_000;
    assert.ok(days > -8 && days < 31, `${e.eventId}: ${days}`);
  }
});

test('determinism: the same seed gives the same partners, events and pages; another seed does not', async () => {
  const twin = await startRunSignUpSim({ seed: 11, now: START, maxParticipants: 50, ...QUIET });
  const other = await startRunSignUpSim({ seed: 12, now: START, maxParticipants: 50, ...QUIET });
  try {
    assert.deepEqual(twin.partners, sim.partners);
    assert.notDeepEqual(other.partners, sim.partners);
    const mine = sim.events().filter((e) => e.participants < 1_000_000);
    assert.deepEqual(
      twin.events().map((e) => [e.eventId, e.startTime.getTime(), e.timezone]),
      mine.map((e) => [e.eventId, e.startTime.getTime(), e.timezone]),
    );
    const event = mine.find((e) => e.partner === sim.partners[1].name && e.participants > 5)!;
    const a = await participants(sim, event.raceId, event.eventId, { results_per_page: 50 }, 1);
    const b = await participants(twin, event.raceId, event.eventId, { results_per_page: 50 }, 1);
    assert.deepEqual(a.body, b.body);
  } finally {
    await Promise.all([twin.close(), other.close()]);
  }
});

test('the 1,000,000-participant event: any page is computed by index, fast, with flat memory', async () => {
  const huge = sim.events().find((e) => e.participants === 1_000_000)!;
  assert.ok(huge);
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const page300 = await participants(sim, huge.raceId, huge.eventId, { page: 300, results_per_page: 2500 });
  const took = performance.now() - started;
  assert.ok(took < 5000, `page 300 took ${took.toFixed(0)}ms`);
  const rows = page300.body[0].participants;
  assert.equal(rows.length, 2500);
  const first = rows[0].registration_id;
  assert.deepEqual(
    rows.map((r: any) => r.registration_id - first),
    Array.from({ length: 2500 }, (_, i) => i),
  );
  const page1 = await participants(sim, huge.raceId, huge.eventId, { page: 1, results_per_page: 2500 });
  assert.equal(first - page1.body[0].participants[0].registration_id, 299 * 2500);
  const last = await participants(sim, huge.raceId, huge.eventId, { page: 400, results_per_page: 2500 });
  assert.equal(last.body[0].participants.length, 2500);
  assert.equal((await participants(sim, huge.raceId, huge.eventId, { page: 401, results_per_page: 2500 })).body[0].participants.length, 0);
  // A larger page than the provider serves is cut to 2500.
  assert.equal((await participants(sim, huge.raceId, huge.eventId, { page: 2, results_per_page: 10_000 })).body[0].participants.length, 2500);
  for (let p = 100; p < 110; p++) await participants(sim, huge.raceId, huge.eventId, { page: p, results_per_page: 2500 });
  global.gc?.();
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  assert.ok(grown < 60, `heap grew ${grown.toFixed(1)} MB over 14 pages of a 1,000,000-row event`);
  // The bookmark: the rows modified at or after a base row's last_modified are that row and every later one.
  const cut = rows[0].last_modified;
  const since = await participants(sim, huge.raceId, huge.eventId, { page: 1, results_per_page: 5, modified_after_timestamp: cut });
  assert.ok(since.body[0].participants[0].registration_id <= first);
  assert.ok(since.body[0].participants.every((r: any) => r.last_modified >= cut));
  assert.ok(sim.stats().pages[`${huge.eventId}:300:full`] >= 1);
});

test('limits: format=json required, bad credentials are error 6, another partner’s race error 7, a third call in flight 429', async () => {
  const event = sim.events().find((e) => e.partner === sim.partners[0].name)!;
  const noFormat = await get(url(sim, `/Rest/race/${event.raceId}`, {}));
  assert.equal(noFormat.status, 400);
  const bad = await get(`${sim.baseUrl}/Rest/races?format=json&api_key=${sim.partners[0].apiKey}&api_secret=wrong`);
  assert.equal(bad.status, 200);
  assert.deepEqual(bad.body, { error: { error_code: 6, error_msg: 'Invalid API key or secret.' } });
  const foreign = await get(url(sim, `/Rest/race/${event.raceId}`, { format: 'json' }, 1));
  assert.equal(foreign.body.error.error_code, 7);

  sim.setOptions({ latencyMs: 100 });
  try {
    const answers = await Promise.all([1, 2, 3].map(() => get(url(sim, `/Rest/race/${event.raceId}`, { format: 'json' }))));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(answers.find((a) => a.status === 429)!.headers.get('retry-after'), '1');
    assert.equal(sim.stats().maxInFlightSeen[sim.partners[0].apiKey], 3);
  } finally {
    sim.setOptions({ latencyMs: 0 });
  }
});

test('callsPerHour: over the rolling hour on the sim clock is error 14, and the budget comes back an hour later', async () => {
  const s = await startRunSignUpSim({ seed: 3, now: START, maxParticipants: 5, churnPerHour: 0, callsPerHour: 3 });
  try {
    const races = () => get(url(s, '/Rest/races', { format: 'json' }));
    for (let i = 0; i < 3; i++) assert.ok((await races()).body.races);
    assert.deepEqual((await races()).body, { error: { error_code: 14, error_msg: 'Request throttled' } });
    assert.equal(s.stats().throttled, 1);
    s.setNow(new Date(START.getTime() + 3_601_000));
    assert.ok((await races()).body.races);
  } finally {
    await s.close();
  }
});

test('churn: registrations, edits and removals arrive as the sim clock runs, the same for the same seed and clock', async () => {
  const make = () => startRunSignUpSim({ seed: 5, now: START, maxParticipants: 30, churnPerHour: 30, callsPerHour: 100_000 });
  const [a, b] = await Promise.all([make(), make()]);
  try {
    const event = a.events().find((e) => e.startTime.getTime() > START.getTime() + 7 * 86_400_000)!;
    const before = a.currentRegistrations(event.eventId);
    const at = new Date(START.getTime() + 6 * 3600_000);
    a.setNow(at);
    b.setNow(at);
    const after = a.currentRegistrations(event.eventId);
    assert.notDeepEqual(after, before);
    assert.ok(
      after.some((id) => !before.includes(id)),
      'new registrations',
    );
    const since = Math.floor(START.getTime() / 1000);
    const changed = await participants(
      a,
      event.raceId,
      event.eventId,
      { results_per_page: 2500, modified_after_timestamp: since },
      a.partners.findIndex((p) => p.name === event.partner),
    );
    assert.ok(changed.body[0].participants.length > 0);
    assert.ok(changed.body[0].participants.every((r: any) => r.last_modified >= since));
    const removed = await get(
      url(
        a,
        `/Rest/race/${event.raceId}/removed-participants`,
        { format: 'json', event_id: event.eventId, modified_after_timestamp: since },
        a.partners.findIndex((p) => p.name === event.partner),
      ),
    );
    assert.ok(removed.body[0].event.participants.length > 0, 'removals');
    assert.deepEqual(b.currentRegistrations(event.eventId), after);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('the sandbox starts it: RUNSIGNUP_BASE_URL and each partner’s RSU_PARTNER_<n>_KEY/_SECRET', async () => {
  const sandbox = await startSandbox({ centers: 2, runsignup: { partners: 2, maxParticipants: 5 } });
  try {
    assert.equal(sandbox.env.RUNSIGNUP_BASE_URL, sandbox.runsignup.baseUrl);
    assert.equal(sandbox.env.RSU_PARTNER_1_KEY, sandbox.runsignup.partners[0].apiKey);
    assert.equal(sandbox.env.RSU_PARTNER_2_SECRET, sandbox.runsignup.partners[1].apiSecret);
    assert.equal(sandbox.env.RSU_PARTNER_3_KEY, undefined);
    assert.match(describeRunSignUpSim(sandbox.runsignup).join('\n'), /partner 2: Summit Race Services/);
  } finally {
    await sandbox.close();
  }
});
