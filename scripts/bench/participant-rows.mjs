// Shared by the participant benchmarks: rows shaped as the sync writes them, and
// the row-at-a-time baseline (one INSERT … ON CONFLICT statement per row, what the old system did).
import pg from 'pg';

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

/** The baseline: one upsert statement per row, each its own round trip. Returns rows/s. */
export async function rowAtATime(url, eventId, rows) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const placeholders = COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  const sql = `insert into participants (${COLUMNS.join(', ')}) values (${placeholders})
    on conflict (event_id, registration_id) do update set first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
      bib_num = excluded.bib_num, last_modified = excluded.last_modified, amount_paid = excluded.amount_paid, synced_at = excluded.synced_at`;
  const started = performance.now();
  const syncedAt = new Date();
  for (const r of rows) await client.query(sql, rowValues(eventId, 1, r, syncedAt));
  const seconds = (performance.now() - started) / 1000;
  await client.end();
  return rows.length / seconds;
}
