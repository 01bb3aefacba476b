/** One participant row (or removed-participant row) as RunSignUp writes it, computed from the seed and its index. */
import { DateTime } from 'luxon';
import { draw, hash32, prng } from '../seed.js';
import type { WorldEvent, WorldRace } from './world.js';

const FIRST = ['Jane', 'John', 'Maria', 'Wei', 'Aisha', 'Liam', 'Sofia', 'Noah', 'Priya', 'Mateo', 'Olga', 'Kenji', 'Fatima', 'Lucas', 'Emma', 'Diego'];
const LAST = ['Doe', 'Smith', 'Garcia', 'Chen', 'Okafor', 'Murphy', 'Rossi', 'Nguyen', 'Patel', 'Silva', 'Kowalski', 'Tanaka', 'Haddad', 'Martin', 'Brown'];
const AMOUNTS = ['$45.00', '45.00', '$60.00', '$35.50', '$0.00', '', '$1,045.00'];

/** US Eastern offsets by UTC hour, cached: luxon per row would make a page of 2500 cost a quarter second. */
const easternOffsets = new Map<number, number>();

function eastern(sec: number): Date {
  const hour = Math.floor(sec / 3600);
  let offset = easternOffsets.get(hour);
  if (offset === undefined) {
    offset = DateTime.fromSeconds(hour * 3600, { zone: 'America/New_York' }).offset;
    if (easternOffsets.size > 50_000) easternOffsets.clear();
    easternOffsets.set(hour, offset);
  }
  // A Date whose UTC fields read as the Eastern wall time.
  return new Date((sec + offset * 60) * 1000);
}

const two = (n: number) => String(n).padStart(2, '0');

/** US Eastern wall time, 'M/D/YYYY HH:mm', as the provider writes registration_date. */
export function easternShort(sec: number): string {
  const d = eastern(sec);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** US Eastern wall time, 'YYYY-MM-DD HH:mm:ss', as the provider writes a removal's last_modified. */
export function easternLong(sec: number): string {
  const d = eastern(sec);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

export interface RowState {
  index: number;
  registrationSec: number;
  lastModifiedSec: number;
  /** Edits so far: each one changes the bib. */
  version: number;
}

/** The seed of an event's people, hashed once per event rather than once per row. */
const eventSeeds = new Map<string, number>();

function person(seed: number, event: WorldEvent, index: number) {
  const key = `${seed}|${event.eventId}`;
  const eventSeed = eventSeeds.get(key) ?? hash32(`${key}|people`);
  eventSeeds.set(key, eventSeed);
  const random = prng((eventSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const first = FIRST[Math.floor(random() * FIRST.length)];
  const last = LAST[Math.floor(random() * LAST.length)];
  const age = 14 + Math.floor(random() * 60);
  const birth = new Date(Date.UTC(event.start.year - age, 0, 1) - Math.floor(random() * 360) * 86_400_000);
  return {
    random,
    userId: event.regBase / 10 + index + 1,
    first,
    last,
    age,
    dob: birth.toISOString().slice(0, 10),
    gender: random() < 0.5 ? 'F' : 'M',
  };
}

/** A participant row; a share of rows (a property of the row, not of the request) is malformed. */
export function participantRow(
  seed: number,
  event: WorldEvent,
  state: RowState,
  malformedRate: number,
  address: Record<string, string>,
): Record<string, unknown> {
  const { index } = state;
  const who = person(seed, event, index);
  const registrationId = event.regBase + index;
  const row: Record<string, unknown> = {
    registration_id: registrationId,
    bib_num: String(1000 + index + state.version * 200_000),
    chip_num: who.random() < 0.3 ? null : `C${100_000 + Math.floor(who.random() * 900_000)}`,
    age: who.age,
    registration_date: easternShort(state.registrationSec),
    last_modified: state.lastModifiedSec,
    amount_paid: AMOUNTS[Math.floor(who.random() * AMOUNTS.length)],
    team_info: who.random() < 0.1 ? { team_id: 700 + (index % 17), team_name: `Team ${LAST[index % LAST.length]}` } : null,
    user: {
      user_id: who.userId,
      first_name: who.first,
      last_name: who.last,
      email: `${who.first}.${who.last}.${index}@example.com`.toLowerCase(),
      dob: who.dob,
      gender: who.gender,
      address: { street: `${100 + (index % 900)} Main St`, ...address },
    },
  };
  if (malformedRate > 0 && draw(seed, 'malformed', event.eventId, index) < malformedRate) {
    const variant = index % 4;
    if (variant === 0) delete row.registration_id;
    else if (variant === 1) row.registration_id = `R-${registrationId}`;
    else if (variant === 2) row.last_modified = 'yesterday';
    // A NUL character, which no Postgres text can hold.
    else (row.user as Record<string, unknown>).last_name = `${who.last}\u0000`;
  }
  return row;
}

export function removedRow(
  seed: number,
  event: WorldEvent,
  index: number,
  removal: { at: number; reason: string; newIndex: number | null },
): Record<string, unknown> {
  const who = person(seed, event, index);
  return {
    registration_id: event.regBase + index,
    last_modified: easternLong(removal.at),
    last_modified_ts: removal.at,
    removed_reason: removal.reason,
    new_registration_id: removal.newIndex === null ? null : event.regBase + removal.newIndex,
    user: { user_id: who.userId, first_name: who.first, last_name: who.last },
  };
}

/** A race as /Rest/races and /Rest/race/{id} write it: dates as MM/DD/YYYY, times as M/D/YYYY HH:mm (events in the race's zone, the rest US Eastern). */
export function raceJson(race: WorldRace, withEvents: boolean) {
  const date = race.events[0]?.start;
  const day = date ? date.toFormat('MM/dd/yyyy') : null;
  return {
    race: {
      race_id: race.raceId,
      name: race.name,
      next_date: day,
      next_end_date: day,
      timezone: race.timezone,
      created: race.lastModified.minus({ days: 90 }).toFormat('M/d/yyyy HH:mm'),
      last_modified: race.lastModified.toFormat('M/d/yyyy HH:mm'),
      is_registration_open: 'T',
      address: { street: '1 Park Ave', city: race.city, state: race.state, zipcode: race.zipcode, country_code: race.countryCode },
      ...(withEvents
        ? {
            events: race.events.map((e, i) => ({
              event_id: e.eventId,
              race_event_days_id: i + 1,
              name: e.name,
              start_time: e.start.toFormat('M/d/yyyy HH:mm'),
              end_time: e.end.toFormat('M/d/yyyy HH:mm'),
              event_type: 'running_race',
              distance: e.distance,
            })),
          }
        : {}),
    },
  };
}
