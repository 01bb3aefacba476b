// Shared by the participant benchmarks: rows shaped as the sync writes them, and
// the row-at-a-time baseline (one INSERT … ON CONFLICT statement per row, what the old system did).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { CURRENT_ON_CONFLICT_SQL } from '../../dist/src/db/queries/participants.js';

export function participantRows(count, firstId = 1) {
  const at = new Date('2026-06-01T12:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const id = firstId + i;
    return {
      registrationId: id,
      userId: 500_000 + id,
      firstName: `First${id}`,
      lastName: `Last${id}`,
      email: `runner${id}@example.com`,
      dob: '1990-05-17',
      gender: id % 2 ? 'F' : 'M',
      age: 20 + (id % 50),
      bibNum: String(1000 + id),
      chipNum: null,
      registrationDate: at,
      lastModified: at,
      amountPaid: '45.00',
      teamInfo: id % 10 === 0 ? { team_name: `Team ${id % 97}` } : null,
      city: 'Boston',
      state: 'MA',
      zipcode: '02110',
      countryCode: 'US',
    };
  });
}

export const COLUMNS = [
  'event_id',
  'race_id',
  'registration_id',
  'user_id',
  'first_name',
  'last_name',
  'email',
  'dob',
  'gender',
  'age',
  'bib_num',
  'chip_num',
  'registration_date',
  'last_modified',
  'amount_paid',
  'team_info',
  'city',
  'state',
  'zipcode',
  'country_code',
  'first_synced_at',
  'synced_at',
];

export function rowValues(eventId, raceId, r, syncedAt) {
  return [
    eventId,
    raceId,
    r.registrationId,
    r.userId,
    r.firstName,
    r.lastName,
    r.email,
    r.dob,
    r.gender,
    r.age,
    r.bibNum,
    r.chipNum,
    r.registrationDate,
    r.lastModified,
    r.amountPaid,
    r.teamInfo == null ? null : JSON.stringify(r.teamInfo),
    r.city,
    r.state,
    r.zipcode,
    r.countryCode,
    syncedAt,
    syncedAt,
  ];
}

/** Rows in the baseline's sample (both benchmarks: the same sample, the same rate). */
export const BASELINE_ROWS = 5000;

/** The DO UPDATE of src/db/queries/participants.ts, imported: a row listed again is current. */
const ON_CONFLICT = CURRENT_ON_CONFLICT_SQL;

/**
 * The row-at-a-time upsert baseline, the same in every benchmark: one
 * INSERT … ON CONFLICT DO UPDATE per row (the bulk path's columns and DO
 * UPDATE), each its own autocommit transaction, into the same participants
 * table and indexes, emptied first. A CHECKPOINT first too: each row waits for
 * its commit's WAL flush, so a checkpoint still writing out the preceding
 * stage's pages (a million-row backfill sets one off) would slow it down.
 * Returns rows/s and the CPU it took (this process, and its server backend
 * when the server runs on this machine), per row.
 */
export async function rowAtATime(url, eventId = 1, rows = participantRows(BASELINE_ROWS)) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('truncate participants');
  await client.query('checkpoint');
  const { pid } = (await client.query('select pg_backend_pid() as pid')).rows[0];
  const backendCpu = () => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return Number.NaN;
    }
  };
  const sql = `insert into participants (${COLUMNS.join(', ')}) values (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ${ON_CONFLICT}`;
  const syncedAt = new Date();
  const [ownBefore, backendBefore] = [process.cpuUsage(), backendCpu()];
  const started = performance.now();
  for (const r of rows) await client.query(sql, rowValues(eventId, 1, r, syncedAt));
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const backend = backendCpu() - backendBefore;
  await client.query('truncate participants');
  await client.end();
  return {
    rate: rows.length / seconds,
    clientUsPerRow: (own.user + own.system) / rows.length,
    backendUsPerRow: (backend * 1e6) / rows.length,
    wallUsPerRow: (seconds * 1e6) / rows.length,
  };
}

/**
 * The baseline is measured before and after the path it is compared with:
 * as it mostly waits (a round trip and a WAL flush per row), it follows the
 * machine's load, which may change during a run. The faster of the two is
 * the one compared with (the lower ratio).
 */
export function fasterBaseline(before, after) {
  return before.rate >= after.rate ? before : after;
}

/** The baseline: both rates, and where a row's time goes in the faster. */
export function describeBaseline(before, after) {
  const b = fasterBaseline(before, after);
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const cpu = Number.isFinite(b.backendUsPerRow) ? `, backend CPU ${Math.round(b.backendUsPerRow)} µs` : '';
  return `${fmt(b.rate)} rows/s (before ${fmt(before.rate)}, after ${fmt(after.rate)}; ${fmt(BASELINE_ROWS)} rows each; per row ${Math.round(b.wallUsPerRow)} µs, of which client CPU ${Math.round(b.clientUsPerRow)} µs${cpu}, the rest round trip and commit flush)`;
}
