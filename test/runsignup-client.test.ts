/**
 * The RunSignUp client against its simulator: paging, the inclusive
 * bookmark, removals, time zones, the provider's error shapes, throttling,
 * retries, the per-attempt hook, the in-flight limit and record validation.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamError, ValidationError } from '../src/core/errors.js';
import { parseProviderTime, RunSignUpApi, type RunSignUpConfig } from '../src/integrations/runsignup.js';
import { parseMoney } from '../src/integrations/runsignup/parse.js';
import { startRunSignUpSim, type RunSignUpSim, type RunSignUpSimOptions } from '../src/sandbox/runsignup-sim.js';
import { startHostileServer } from './helpers/hostile.js';

const START = new Date('2026-03-01T12:00:00Z');
const QUIET: RunSignUpSimOptions = {
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  throttleRate: 0,
  timeoutRate: 0,
  malformedRate: 0,
  callsPerHour: 100_000,
  maxInFlight: 2,
  badCredentials: [],
  churnPerHour: 0,
};

let sim: RunSignUpSim;
before(async () => {
  sim = await startRunSignUpSim({ seed: 7, now: START, maxParticipants: 40, ...QUIET });
});
after(async () => {
  await sim.close();
});
afterEach(() => {
  sim.setOptions(QUIET);
  sim.setNow(START);
});

const partner = (i = 0) => sim.partners[i];
function client(overrides: Partial<RunSignUpConfig> = {}, partnerIndex = 0): RunSignUpApi {
  const p = partner(partnerIndex);
  return new RunSignUpApi({ baseUrl: sim.baseUrl, credentials: { apiKey: p.apiKey, apiSecret: p.apiSecret }, label: `RunSignUp (${p.name})`, ...overrides });
}
const eventsOf = (partnerIndex: number) => sim.events().filter((e) => e.partner === partner(partnerIndex).name);
/** An event of partner 0 with at least `min` participants (the fewest such). */
function eventWith(min: number) {
  const found = eventsOf(0)
    .filter((e) => e.participants >= min)
    .sort((a, b) => a.participants - b.participants)[0];
  assert.ok(found, `an event with ${min}+ participants`);
  return found;
}
async function collect<T>(pages: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
const atSecond = (sec: number) => sim.setNow(new Date(sec * 1000));

test('races: every page of the partner own races, with events; pages of 1, an exact multiple and a partial last page', async () => {
  const expected = [...new Set(eventsOf(0).map((e) => e.raceId))].sort();
  assert.equal(expected.length, 4);
  for (const [perPage, sizes] of [
    [1, [1, 1, 1, 1, 0]],
    [2, [2, 2, 0]],
    [3, [3, 1]],
  ] as const) {
    const api = client();
    const pages = await collect(api.partnerRaces({ perPage }));
    assert.deepEqual(
      pages.map((p) => p.races.length),
      sizes,
      `perPage ${perPage}`,
    );
    assert.equal(api.calls, sizes.length);
    const races = pages.flatMap((p) => p.races);
    assert.deepEqual(races.map((r) => r.raceId).sort(), expected);
    assert.deepEqual(
      races.flatMap((r) => r.events.map((e) => e.eventId)).sort(),
      eventsOf(0)
        .map((e) => e.eventId)
        .sort(),
    );
    assert.ok(pages.every((p) => p.rejected.length === 0));
  }
});

test('participants: sorted by registration_id, pages of 1, exact multiple and partial, from a start page', async () => {
  const event = eventWith(5);
  const truth = sim.currentRegistrations(event.eventId);
  const n = truth.length;
  const ids = (pages: Array<{ participants: Array<{ registrationId: number }> }>) => pages.flatMap((p) => p.participants.map((x) => x.registrationId));

  const ones = await collect(client().participantPages(event.raceId, event.eventId, { perPage: 1 }));
  assert.equal(ones.length, n + 1);
  assert.deepEqual(ids(ones), truth);
  assert.deepEqual(
    ones.map((p) => p.last),
    [...Array(n).fill(false), true],
  );

  const exact = await collect(client().participantPages(event.raceId, event.eventId, { perPage: n }));
  assert.deepEqual(
    exact.map((p) => [p.received, p.last]),
    [
      [n, false],
      [0, true],
    ],
  );
  assert.deepEqual(ids(exact), truth);

  const partial = await collect(client().participantPages(event.raceId, event.eventId, { perPage: n - 1 }));
  assert.deepEqual(
    partial.map((p) => [p.page, p.received, p.last]),
    [
      [1, n - 1, false],
      [2, 1, true],
    ],
  );
  const fromTwo = await collect(client().participantPages(event.raceId, event.eventId, { perPage: 2, startPage: 2 }));
  assert.equal(fromTwo[0].page, 2);
  assert.deepEqual(ids(fromTwo), truth.slice(2));
});

test('modified_after is inclusive and sees the overlay: an edit at T comes back, one before T does not', async () => {
  const event = eventWith(6);
  const [a, b, c] = sim.currentRegistrations(event.eventId);
  const t = Math.floor(START.getTime() / 1000) + 7200;
  const before = (await collect(client().participantPages(event.raceId, event.eventId))).flatMap((p) => p.participants).find((p) => p.registrationId === a)!;
  atSecond(t - 100);
  sim.editParticipant(event.eventId, b);
  atSecond(t);
  sim.editParticipant(event.eventId, a);
  const [added] = sim.addParticipants(event.eventId, 1);
  const since = async (sec: number) =>
    (await collect(client().participantPages(event.raceId, event.eventId, { modifiedAfter: sec }))).flatMap((p) => p.participants);

  const atT = await since(t);
  assert.deepEqual(
    atT.map((p) => p.registrationId),
    [a, added],
  );
  const edited = atT[0];
  assert.equal(edited.lastModified?.getTime(), t * 1000);
  assert.notEqual(edited.bibNum, before.bibNum, 'the edit changed the bib');
  assert.deepEqual(
    (await since(t + 1)).map((p) => p.registrationId),
    [],
  );
  assert.deepEqual(
    (await since(t - 100)).map((p) => p.registrationId),
    [a, b, added],
  );
  assert.ok(!(await since(t - 100)).some((p) => p.registrationId === c));
});

test('removed participants: inside the event object, with reason, time and the new id of a transfer', async () => {
  const event = eventWith(6);
  const [, , , x, y] = sim.currentRegistrations(event.eventId);
  const t = Math.floor(START.getTime() / 1000) + 3 * 3600;
  atSecond(t);
  sim.removeParticipant(event.eventId, x, 'removed');
  const newId = sim.removeParticipant(event.eventId, y, 'transferred');
  assert.ok(newId && newId > y);
  const pages = await collect(client().removedPages(event.raceId, event.eventId, { modifiedAfter: t }));
  const removed = pages.flatMap((p) => p.removed);
  assert.deepEqual(
    removed.map((r) => [r.registrationId, r.reason, r.newRegistrationId, r.lastModified?.getTime()]),
    [
      [x, 'removed', null, t * 1000],
      [y, 'transferred', newId, t * 1000],
    ],
  );
  assert.ok(removed.every((r) => typeof r.userId === 'number'));
  assert.deepEqual(
    (await collect(client().removedPages(event.raceId, event.eventId, { modifiedAfter: t + 1 }))).flatMap((p) => p.removed),
    [],
  );
  const current = (await collect(client().participantPages(event.raceId, event.eventId))).flatMap((p) => p.participants.map((q) => q.registrationId));
  assert.ok(!current.includes(x) && !current.includes(y) && current.includes(newId));
  assert.deepEqual(current, sim.currentRegistrations(event.eventId));
});

test('time zones: event starts in America/Denver and Pacific/Honolulu are the exact UTC instants', async () => {
  for (const zone of ['America/Denver', 'Pacific/Honolulu']) {
    const simEvent = sim.events().find((e) => e.timezone === zone)!;
    assert.ok(simEvent, zone);
    const owner = sim.partners.findIndex((p) => p.name === simEvent.partner);
    const races = (await collect(client({}, owner).partnerRaces({}))).flatMap((p) => p.races);
    const race = races.find((r) => r.raceId === simEvent.raceId)!;
    assert.equal(race.timezone, zone);
    const event = race.events.find((e) => e.eventId === simEvent.eventId)!;
    assert.equal(event.startTime?.toISOString(), simEvent.startTime.toISOString(), zone);
    assert.ok(event.endTime && event.startTime && event.endTime > event.startTime);
    if (zone === 'Pacific/Honolulu') {
      // UTC-10 all year: the local start (07:00–09:30 in the sim) is the UTC hour minus 10.
      const localHour = (event.startTime!.getUTCHours() + 14) % 24;
      assert.ok(localHour >= 7 && localHour <= 10, `local hour ${localHour}`);
    }
    assert.match(race.nextDate ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(race.lastModified instanceof Date);
  }
});

test('parseProviderTime: both formats, a DST gap moves forward, a repeated hour takes the first, nonsense is a ValidationError', () => {
  assert.equal(parseProviderTime('3/15/2026 08:00', 'America/Denver').toISOString(), '2026-03-15T14:00:00.000Z');
  assert.equal(parseProviderTime('1/9/2026 17:10', 'America/New_York').toISOString(), '2026-01-09T22:10:00.000Z');
  assert.equal(parseProviderTime('2026-01-12 09:54:37', 'America/New_York').toISOString(), '2026-01-12T14:54:37.000Z');
  assert.equal(parseProviderTime('7/4/2026 07:30:15', 'Pacific/Honolulu').toISOString(), '2026-07-04T17:30:15.000Z');
  // 02:30 on 8 March 2026 does not exist in Denver: 03:30 MDT.
  assert.equal(parseProviderTime('3/8/2026 02:30', 'America/Denver').toISOString(), '2026-03-08T09:30:00.000Z');
  // 01:30 on 1 November 2026 happens twice in Denver: the first, MDT (UTC-6).
  assert.equal(parseProviderTime('11/1/2026 01:30', 'America/Denver').toISOString(), '2026-11-01T07:30:00.000Z');
  assert.equal(parseProviderTime('11/1/2026 02:30', 'America/Denver').toISOString(), '2026-11-01T09:30:00.000Z');
  assert.equal(parseProviderTime('10/25/2026 01:30', 'Europe/London').toISOString(), '2026-10-25T00:30:00.000Z');
  for (const [text, zone] of [
    ['2/30/2026 10:00', 'America/Denver'],
    ['3/1/2026 25:00', 'America/Denver'],
    ['3/1/2026 10:61', 'America/Denver'],
    ['yesterday', 'America/Denver'],
    ['3/1/2026 10:00', 'Mars/Olympus'],
  ]) {
    assert.throws(() => parseProviderTime(text, zone), ValidationError, `${text} ${zone}`);
  }
});

test('money: "$45.00" → "45.00", thousands separators dropped, empty → null, text refused', async () => {
  assert.equal(parseMoney('$45.00'), '45.00');
  assert.equal(parseMoney('45.00'), '45.00');
  assert.equal(parseMoney('$1,045.00'), '1045.00');
  assert.equal(parseMoney(''), null);
  assert.equal(parseMoney(null), null);
  assert.throws(() => parseMoney('free'), ValidationError);
  const amounts = new Set(
    (await collect(client().participantPages(eventWith(30).raceId, eventWith(30).eventId))).flatMap((p) => p.participants.map((x) => x.amountPaid)),
  );
  assert.ok(amounts.has('45.00') && amounts.has(null), [...amounts].join(','));
  assert.ok([...amounts].every((a) => a === null || /^\d+\.\d{2}$/.test(a)));
});

test('a malformed participant is rejected with its reason; the rest of the page is kept', async () => {
  sim.setOptions({ malformedRate: 0.3 });
  const event = eventWith(20);
  const [page] = await collect(client().participantPages(event.raceId, event.eventId, { perPage: 2500 }));
  assert.ok(page.rejected.length > 0, 'some rows are malformed');
  assert.ok(page.participants.length > 0, 'the others are kept');
  assert.equal(page.participants.length + page.rejected.length, page.received);
  assert.equal(page.received, sim.currentRegistrations(event.eventId).length);
  for (const r of page.rejected) {
    assert.match(r.item, /^(registration \d+|participant #\d+ of page 1)$/);
    assert.match(r.reason, /registration_id|last_modified|user\.last_name contains a NUL character/);
  }
  assert.ok(page.rejected.some((r) => r.item.startsWith('registration ') && /last_modified/.test(r.reason)));
  assert.ok(page.rejected.some((r) => r.item.startsWith('registration ') && /NUL character/.test(r.reason)));
});

test('error 6 in a 200: a final error naming the label and the provider message, never the secret; probe says so too', async () => {
  const ok = await client().probe();
  assert.match(ok, /^200 in \d+ms$/);
  sim.setOptions({ badCredentials: [partner(0).name] });
  const api = client();
  const failure = await collect(api.partnerRaces({})).then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assert.ok(failure instanceof UpstreamError);
  assert.equal(failure.details.code, 'bad_credentials');
  assert.equal(failure.retriable, false);
  assert.match(failure.message, /RunSignUp \(Acme Timing\): bad credentials \(error 6: Invalid API key or secret\.\)/);
  assert.ok(!failure.message.includes(partner(0).apiSecret) && !failure.message.includes(partner(0).apiKey), failure.message);
  assert.equal(api.calls, 1, 'not retried');
  await assert.rejects(client().probe(), (e: unknown) => e instanceof UpstreamError && e.details.code === 'bad_credentials');
});

test("error 7: another partner's race is a final no_access error", async () => {
  const other = eventsOf(1)[0];
  await assert.rejects(client().getRace(other.raceId), (e: unknown) => e instanceof UpstreamError && e.details.code === 'no_access' && !e.retriable);
  const own = await client().getRace(eventsOf(0)[0].raceId);
  assert.equal(own.raceId, eventsOf(0)[0].raceId);
  assert.ok(own.events.length > 0);
});

test('error 14 in a 200: slowed down (~2 s), onThrottle told, retried, and the call succeeds', async () => {
  sim.setOptions({ throttleRate: 1 });
  const waits: number[] = [];
  const api = client({
    onThrottle: (ms) => {
      waits.push(ms);
      sim.setOptions({ throttleRate: 0 });
    },
  });
  const started = Date.now();
  const pages = await collect(api.partnerRaces({}));
  assert.equal(pages[0].races.length, 4);
  assert.equal(waits.length, 1);
  assert.ok(waits[0] >= 2000 && waits[0] <= 2500, String(waits[0]));
  assert.ok(Date.now() - started >= 2000);
  assert.equal(api.calls, 2);
});

test('429 with Retry-After: waits what it says, tells onThrottle, retries; when attempts run out a retriable "throttled" error', async () => {
  sim.setOptions({ rateLimitRate: 1, retryAfterSeconds: 1 });
  const waits: number[] = [];
  const api = client({
    onThrottle: (ms) => {
      waits.push(ms);
      sim.setOptions({ rateLimitRate: 0 });
    },
  });
  const started = Date.now();
  await collect(api.partnerRaces({}));
  assert.deepEqual(waits, [1000]);
  assert.ok(Date.now() - started >= 1000);

  sim.setOptions({ rateLimitRate: 1 });
  const spent = client({ attempts: 2 });
  await assert.rejects(
    collect(spent.partnerRaces({})),
    (e: unknown) => e instanceof UpstreamError && e.details.code === 'throttled' && e.retriable && e.details.status === 429,
  );
  assert.equal(spent.calls, 2);
});

test('503 is retried; beforeCall runs before every attempt', async () => {
  sim.setOptions({ errorRate: 1 });
  const before503 = sim.stats().byStatus['503'] ?? 0;
  let hooks = 0;
  const api = client({
    beforeCall: async () => {
      hooks += 1;
      if (hooks === 2) sim.setOptions({ errorRate: 0 });
    },
  });
  const race = await api.getRace(eventsOf(0)[0].raceId);
  assert.equal(race.raceId, eventsOf(0)[0].raceId);
  assert.equal(hooks, 2);
  assert.equal(api.calls, 2);
  assert.equal((sim.stats().byStatus['503'] ?? 0) - before503, 1);
});

test('beforeCall that throws: the same error comes out and no request is made', async () => {
  class BudgetExhausted extends Error {}
  const refusal = new BudgetExhausted('hourly budget spent');
  const callsBefore = sim.stats().calls[partner(0).apiKey] ?? 0;
  const api = client({
    beforeCall: async () => {
      throw refusal;
    },
  });
  await assert.rejects(collect(api.participantPages(eventsOf(0)[0].raceId, eventsOf(0)[0].eventId)), (e: unknown) => e === refusal);
  assert.equal(api.calls, 0);
  assert.equal(sim.stats().calls[partner(0).apiKey] ?? 0, callsBefore);
});

test('at most 2 calls of one credential in flight, across clients of that credential', async () => {
  sim.setOptions({ latencyMs: 40 });
  const key = partner(2).apiKey;
  const events = eventsOf(2);
  const clients = [client({}, 2), client({}, 2)];
  const before = sim.stats();
  await Promise.all(Array.from({ length: 8 }, (_, i) => clients[i % 2].getRace(events[i % events.length].raceId)));
  const after = sim.stats();
  assert.equal(after.maxInFlightSeen[key], 2, 'two at once, never three');
  assert.equal(after.calls[key] - (before.calls[key] ?? 0), 8, 'no 429 retry was needed');
});

test('timeouts are retried, then a retriable timeout error', async () => {
  sim.setOptions({ timeoutRate: 1 });
  const api = client({ timeoutMs: 150, attempts: 2 });
  await assert.rejects(api.getRace(eventsOf(0)[0].raceId), (e: unknown) => e instanceof UpstreamError && e.details.code === 'timeout' && e.retriable);
  assert.equal(api.calls, 2);
});

test('a body that is not the documented shape is a final "malformed answer"; an HTML 5xx is retried', async () => {
  let n = 0;
  const server = await startHostileServer((req, res) => {
    if (req.url?.includes('/participants') && ++n === 1) {
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html>bad gateway</html>');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.includes('/participants') ? '{"participants": []}' : '<html>oops</html>');
  });
  try {
    const api = new RunSignUpApi({ baseUrl: server.url, credentials: { apiKey: 'key-hostile-1', apiSecret: 'secret-hostile-1' } });
    await assert.rejects(api.getRace(1), (e: unknown) => e instanceof UpstreamError && e.details.code === 'malformed' && !e.retriable);
    await assert.rejects(
      collect(api.participantPages(1, 2)),
      (e: unknown) => e instanceof UpstreamError && /malformed answer.*array/.test(e.message) && !e.retriable,
    );
    assert.equal(api.calls, 3, 'the 502 was retried once, the malformed answers were not');
    assert.ok(server.requests.every((r) => /api_key=key-hostile-1&api_secret=secret-hostile-1&format=json/.test(r.url)));
  } finally {
    await server.close();
  }
});
