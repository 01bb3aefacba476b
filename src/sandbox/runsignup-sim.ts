/**
 * RunSignUp, simulated (upstreams.md, "RunSignUp"): several timing partners
 * with their own races in several time zones, participants computed by index
 * (memory stays flat for a 1,000,000-row event), churn that keeps arriving as
 * the sim clock runs, the provider's limits (2 calls in flight per key, an
 * hourly budget, 2500 rows a page) and its error shapes, plus fault knobs.
 * Seeded and deterministic: the same options and clock give the same answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, sendJson, startSimServer } from './http-sim.js';
import { participantRow, raceJson, removedRow } from './runsignup/rows.js';
import { type RemovalReason, Roster } from './runsignup/roster.js';
import { buildWorld, type SimPartner, type World, type WorldRace } from './runsignup/world.js';
import { draw } from './seed.js';

export type { SimPartner } from './runsignup/world.js';

export interface RunSignUpSimOptions {
  seed?: number;
  /** Default 3; credentials derived from the seed, listed in sim.partners. */
  partners?: number;
  /** Default 4, in several time zones. */
  racesPerPartner?: number;
  /** Default [1, 3]. */
  eventsPerRace?: [number, number];
  /** Per event, seeded 0..max, default 2000. */
  maxParticipants?: number;
  /** When set: one extra race/event of partner 0 with this many participants, computed by index. */
  hugeEventParticipants?: number;
  /** The sim's clock starts here and runs in real time; default the real now. */
  now?: string | Date;
  /** New registrations, edits and removals per event per simulated hour (default 20). */
  churnPerHour?: number;
  latencyMs?: number;
  /** Share of calls answered 503. */
  errorRate?: number;
  /** Share of calls answered 429 with Retry-After. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of calls answered error 14 in a 200. */
  throttleRate?: number;
  /** Share of calls never answered. */
  timeoutRate?: number;
  /** Share of participant rows malformed (no registration_id / bad types). */
  malformedRate?: number;
  /** Per api_key, rolling hour on the sim clock: over it → error 14 (default 1000). */
  callsPerHour?: number;
  /** Per api_key: a call beyond it → 429 with Retry-After 1 (default 2). */
  maxInFlight?: number;
  /** Default 2500; a larger results_per_page is cut to it. */
  maxResultsPerPage?: number;
  /** Partner names whose key now answers error 6. */
  badCredentials?: string[];
}

export interface RunSignUpSimStats {
  calls: Record<string, number>;
  maxInFlightSeen: Record<string, number>;
  /** HTTP statuses ("200", "429", "503"), and "error_N" for each provider error sent in a 200. */
  byStatus: Record<string, number>;
  throttled: number;
  /** Participant pages served, by `${eventId}:${page}:${modifiedAfter ?? 'full'}`. */
  pages: Record<string, number>;
  rowsServed: number;
}

export interface SimEventInfo {
  partner: string;
  raceId: number;
  eventId: number;
  name: string;
  timezone: string;
  startTime: Date;
  participants: number;
}

export interface RunSignUpSim {
  baseUrl: string;
  readonly partners: SimPartner[];
  setOptions(patch: Partial<RunSignUpSimOptions>): void;
  /** Move the sim clock (e.g. to OPS_NOW of the test). */
  setNow(at: Date): void;
  now(): Date;
  /** Test hooks, applied at the sim's now. Returns the new registration ids. */
  addParticipants(eventId: number, count: number): number[];
  /** Bumps last_modified and changes the bib. */
  editParticipant(eventId: number, registrationId: number): void;
  /** Returns the new registration id of a transfer, else null. */
  removeParticipant(eventId: number, registrationId: number, reason: RemovalReason): number | null;
  /** Ground truth: the current (not removed) registration ids of an event. */
  currentRegistrations(eventId: number): number[];
  events(): SimEventInfo[];
  stats(): RunSignUpSimStats;
  close(): Promise<void>;
}

const DEFAULTS = {
  seed: 42,
  partners: 3,
  racesPerPartner: 4,
  eventsPerRace: [1, 3] as [number, number],
  maxParticipants: 2000,
  churnPerHour: 20,
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  throttleRate: 0,
  timeoutRate: 0,
  malformedRate: 0,
  callsPerHour: 1000,
  maxInFlight: 2,
  maxResultsPerPage: 2500,
  badCredentials: [] as string[],
};
/** The provider's largest page of races. */
const MAX_RACES_PER_PAGE = 1000;

/** Lines for `ops sandbox`: where the sim listens and each partner's credentials (sandbox values, not secrets). */
export function describeRunSignUpSim(sim: RunSignUpSim): string[] {
  return [
    `RunSignUp simulator: ${sim.baseUrl}`,
    ...sim.partners.map((p, i) => `  partner ${i + 1}: ${p.name}  RSU_PARTNER_${i + 1}_KEY=${p.apiKey}  RSU_PARTNER_${i + 1}_SECRET=${p.apiSecret}`),
  ];
}

export async function startRunSignUpSim(initial: RunSignUpSimOptions & { port?: number; host?: string } = {}): Promise<RunSignUpSim> {
  let options = { ...DEFAULTS, ...initial };
  const startMs = initial.now ? new Date(initial.now).getTime() : Date.now();
  if (Number.isNaN(startMs)) throw new Error(`runsignup sim: now "${String(initial.now)}" is not a time`);
  let clockOffset = startMs - Date.now();
  const nowMs = () => Date.now() + clockOffset;
  const nowSec = () => Math.floor(nowMs() / 1000);
  const world: World = buildWorld({ ...options, start: new Date(startMs) });
  const rosters = new Map<number, Roster>();
  for (const event of world.events.values()) rosters.set(event.eventId, new Roster(event, options.seed, Math.floor(startMs / 1000)));
  const raceById = new Map(world.races.map((r) => [r.raceId, r]));

  const counters: RunSignUpSimStats = { calls: {}, maxInFlightSeen: {}, byStatus: {}, throttled: 0, pages: {}, rowsServed: 0 };
  const inFlight = new Map<string, number>();
  const recentCalls = new Map<string, number[]>();
  const sequence = new Map<string, number>();

  const bump = (record: Record<string, number>, key: string, by = 1) => (record[key] = (record[key] ?? 0) + by);
  const reply = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    bump(counters.byStatus, String(status));
    if (status === 429) counters.throttled += 1;
    sendJson(res, status, body, headers);
  };
  /** The provider's error shape, in a 200 as it mostly sends it. */
  const fail = (res: ServerResponse, code: number, msg: string) => {
    bump(counters.byStatus, `error_${code}`);
    if (code === 14) counters.throttled += 1;
    reply(res, 200, { error: { error_code: code, error_msg: msg } });
  };
  const catchUp = () => {
    for (const roster of rosters.values()) roster.catchUp(nowSec(), options.churnPerHour);
  };
  const rosterOf = (eventId: number) => {
    const roster = rosters.get(eventId);
    if (!roster) throw new Error(`runsignup sim: no event ${eventId}`);
    return roster;
  };

  const intParam = (url: URL, name: string, fallback: number) => {
    const n = Number.parseInt(url.searchParams.get(name) ?? '', 10);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };

  function races(res: ServerResponse, url: URL, partner: number) {
    const mine = url.searchParams.get('only_partner_races') === 'T';
    const startDate = url.searchParams.get('start_date');
    const size = Math.min(intParam(url, 'results_per_page', 50), MAX_RACES_PER_PAGE);
    const page = intParam(url, 'page', 1);
    const listed = world.races
      .filter((r) => !mine || r.partnerIndex === partner)
      .filter((r) => !startDate || (r.events[0]?.start.toISODate() ?? '') >= startDate)
      .slice((page - 1) * size, page * size);
    reply(res, 200, { races: listed.map((r) => raceJson(r, url.searchParams.get('events') === 'T')) });
  }

  function rows(res: ServerResponse, url: URL, race: WorldRace, removed: boolean) {
    const eventId = Number(url.searchParams.get('event_id'));
    const event = race.events.find((e) => e.eventId === eventId);
    if (!event) return fail(res, 7, `Event ${url.searchParams.get('event_id') ?? ''} is not an event of race ${race.raceId}`);
    const roster = rosterOf(eventId);
    const size = Math.min(intParam(url, 'results_per_page', 50), options.maxResultsPerPage);
    const page = intParam(url, 'page', 1);
    const raw = url.searchParams.get('modified_after_timestamp');
    const since = raw !== null && /^\d+$/.test(raw) ? Number(raw) : undefined;
    if (removed) {
      const list = roster.removedPage(since, page, size).map(([index, removal]) => removedRow(options.seed, event, index, removal));
      counters.rowsServed += list.length;
      return reply(res, 200, [{ event: { event_id: event.eventId, name: event.name, participants: list } }]);
    }
    const address = { city: race.city, state: race.state, zipcode: race.zipcode, country_code: race.countryCode };
    const list = roster.page(since, page, size).map((i) => participantRow(options.seed, event, roster.state(i), options.malformedRate, address));
    bump(counters.pages, `${eventId}:${page}:${since ?? 'full'}`);
    counters.rowsServed += list.length;
    reply(res, 200, [{ event: { event_id: event.eventId, name: event.name }, participants: list }]);
  }

  /** Admission and faults, in the provider's order: format, credentials, in-flight, hourly budget, then the knobs. */
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const key = url.searchParams.get('api_key') ?? '';
    bump(counters.calls, key);
    const flying = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, flying);
    counters.maxInFlightSeen[key] = Math.max(counters.maxInFlightSeen[key] ?? 0, flying);
    res.once('close', () => inFlight.set(key, (inFlight.get(key) ?? 1) - 1));
    await delay(options.latencyMs);
    if (req.method !== 'GET') return reply(res, 405, { error: { error_code: 1, error_msg: 'Only GET is simulated' } });
    if (url.searchParams.get('format') !== 'json')
      return reply(res, 400, { error: { error_code: 1, error_msg: 'This simulator speaks JSON only: add format=json' } });
    const partner = world.partners.findIndex((p) => p.apiKey === key && p.apiSecret === url.searchParams.get('api_secret'));
    if (partner < 0 || options.badCredentials.includes(world.partners[partner].name)) return fail(res, 6, 'Invalid API key or secret.');
    if (flying > options.maxInFlight) return reply(res, 429, { error: 'Too many concurrent requests' }, { 'retry-after': '1' });
    const recent = (recentCalls.get(key) ?? []).filter((t) => t > nowMs() - 3_600_000);
    recentCalls.set(key, recent);
    if (recent.length >= options.callsPerHour) return fail(res, 14, 'Request throttled');
    recent.push(nowMs());
    const n = (sequence.get(key) ?? 0) + 1;
    sequence.set(key, n);
    if (draw(options.seed, 'timeout', key, n) < options.timeoutRate) return; // never answered
    if (draw(options.seed, '429', key, n) < options.rateLimitRate)
      return reply(res, 429, { error: 'Too many requests' }, { 'retry-after': String(options.retryAfterSeconds) });
    if (draw(options.seed, '5xx', key, n) < options.errorRate)
      return reply(res, 503, '<html><body>503 Service Unavailable</body></html>', { 'content-type': 'text/html' });
    if (draw(options.seed, 'throttle', key, n) < options.throttleRate) return fail(res, 14, 'Request throttled');
    catchUp();
    if (url.pathname === '/Rest/races') return races(res, url, partner);
    const match = /^\/Rest\/race\/(\d+)(?:\/(participants|removed-participants))?\/?$/.exec(url.pathname);
    if (!match) return reply(res, 404, { error: { error_code: 404, error_msg: 'No such route' } });
    const race = raceById.get(Number(match[1]));
    // An unknown race and another partner's race look the same: the provider does not tell which races exist.
    if (!race || race.partnerIndex !== partner) return fail(res, 7, `No access to race ${match[1]}`);
    if (!match[2]) return reply(res, 200, raceJson(race, true));
    return rows(res, url, race, match[2] === 'removed-participants');
  }

  const server = await startSimServer(
    handle,
    { setOptions: (patch) => sim.setOptions(patch as Partial<RunSignUpSimOptions>), stats: () => sim.stats() },
    initial,
  );

  const sim: RunSignUpSim = {
    baseUrl: server.baseUrl,
    partners: world.partners,
    setOptions(patch) {
      // The world is built once; only the behaviour changes.
      const { seed: _seed, partners: _p, racesPerPartner: _r, eventsPerRace: _e, maxParticipants: _m, hugeEventParticipants: _h, now, ...rest } = patch;
      options = { ...options, ...rest };
      if (now !== undefined) sim.setNow(new Date(now));
    },
    setNow(at) {
      clockOffset = at.getTime() - Date.now();
    },
    now: () => new Date(nowMs()),
    addParticipants(eventId, count) {
      catchUp();
      const roster = rosterOf(eventId);
      return Array.from({ length: count }, () => roster.event.regBase + roster.add(nowSec()));
    },
    editParticipant(eventId, registrationId) {
      catchUp();
      const roster = rosterOf(eventId);
      const index = roster.indexOf(registrationId);
      if (index === undefined || roster.isRemoved(index)) throw new Error(`runsignup sim: ${registrationId} is not a current registration of event ${eventId}`);
      roster.edit(index, nowSec());
    },
    removeParticipant(eventId, registrationId, reason) {
      catchUp();
      const roster = rosterOf(eventId);
      const index = roster.indexOf(registrationId);
      if (index === undefined || roster.isRemoved(index)) throw new Error(`runsignup sim: ${registrationId} is not a current registration of event ${eventId}`);
      const newIndex = roster.remove(index, nowSec(), reason);
      return newIndex === null ? null : roster.event.regBase + newIndex;
    },
    currentRegistrations(eventId) {
      catchUp();
      const roster = rosterOf(eventId);
      return roster.currentIndices().map((i) => roster.event.regBase + i);
    },
    events() {
      catchUp();
      return world.races.flatMap((race) =>
        race.events.map((e) => ({
          partner: world.partners[race.partnerIndex].name,
          raceId: race.raceId,
          eventId: e.eventId,
          name: e.name,
          timezone: e.timezone,
          startTime: e.start.toJSDate(),
          participants: rosterOf(e.eventId).current,
        })),
      );
    },
    stats: () => structuredClone(counters),
    close: () => server.close(),
  };
  return sim;
}
