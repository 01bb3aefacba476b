/**
 * Every statement on participants. Writes are set-based: a page of rows goes
 * in as one INSERT … SELECT FROM unnest(arrays) ON CONFLICT, a handful of
 * parameters for any number of rows (platform.md: the fastest path short of
 * COPY), or, for a backfill's pages on Postgres, by COPY (preparePage, mergePreparedPage).
 */
import { sql, type Kysely } from 'kysely';
import { copyField, copyRows } from '../copy.js';
import { databaseKind } from '../kind.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export interface ParticipantRow {
  registrationId: number;
  userId: number | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  dob: string | null;
  gender: string | null;
  age: number | null;
  bibNum: string | null;
  chipNum: string | null;
  registrationDate: Date | null;
  lastModified: Date | null;
  amountPaid: string | null;
  teamInfo: unknown | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  countryCode: string | null;
}

export interface RemovalRow {
  registrationId: number;
  lastModified: Date | null;
  reason: string;
  newRegistrationId: number | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The last row of each registration id wins: one statement must not touch a row twice. */
function lastPerKey<T extends { registrationId: number }>(rows: T[]): T[] {
  const byKey = new Map<number, T>();
  for (const row of rows) byKey.set(row.registrationId, row);
  return byKey.size === rows.length ? rows : [...byKey.values()];
}

const INSERT_COLUMNS = sql`(event_id, race_id, registration_id, user_id, first_name, last_name, email, dob, gender, age,
  bib_num, chip_num, registration_date, last_modified, amount_paid, team_info, city, state, zipcode, country_code, first_synced_at, synced_at)`;

/** A row listed again is current: its fields are replaced and a removal mark on it is cleared. */
/** Exported as text for the benchmarks' row-at-a-time baseline, which must run the same statement. */
export const CURRENT_ON_CONFLICT_SQL = `on conflict (event_id, registration_id) do update set
  race_id = excluded.race_id, user_id = excluded.user_id, first_name = excluded.first_name, last_name = excluded.last_name,
  email = excluded.email, dob = excluded.dob, gender = excluded.gender, age = excluded.age, bib_num = excluded.bib_num,
  chip_num = excluded.chip_num, registration_date = excluded.registration_date, last_modified = excluded.last_modified,
  amount_paid = excluded.amount_paid, team_info = excluded.team_info, city = excluded.city, state = excluded.state,
  zipcode = excluded.zipcode, country_code = excluded.country_code, synced_at = excluded.synced_at,
  removed_at = null, removed_reason = null, new_registration_id = null`;
const CURRENT_ON_CONFLICT = sql.raw(CURRENT_ON_CONFLICT_SQL);

/** The columns a page is copied with, in INSERT_COLUMNS' order. */
const COPY_COLUMNS = [
  ...['event_id', 'race_id', 'registration_id', 'user_id', 'first_name', 'last_name', 'email', 'dob', 'gender', 'age'],
  ...['bib_num', 'chip_num', 'registration_date', 'last_modified', 'amount_paid', 'team_info', 'city', 'state', 'zipcode'],
  ...['country_code', 'first_synced_at', 'synced_at'],
] as const;

/** '00' to '59'. */
const TWO = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
const DAY_MS = 86_400_000;
/** 'YYYY-MM-DD ' by UTC day number: a page's times fall on few days. */
const dayTexts = new Map<number, string>();

/** A time as COPY reads a timestamptz, in UTC; built by hand (its day's text cached), as toISOString costs several times more. */
function copyTime(at: Date | null): string {
  if (at === null) return '\\N';
  const ms = at.getTime();
  const day = Math.floor(ms / DAY_MS);
  let date = dayTexts.get(day);
  if (date === undefined) {
    const year = at.getUTCFullYear();
    if (year < 1000 || year > 9999) return at.toISOString();
    date = `${year}-${TWO[at.getUTCMonth() + 1]}-${TWO[at.getUTCDate()]} `;
    if (dayTexts.size >= 20_000) dayTexts.clear();
    dayTexts.set(day, date);
  }
  let rest = ms - day * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const fraction = rest - second * 1000;
  return `${date}${TWO[hour]}:${TWO[minute]}:${TWO[second]}${fraction === 0 ? '' : `.${String(fraction).padStart(3, '0')}`}+00`;
}

/** Rows per chunk of COPY text: one long text of a whole page costs more to encode than a few shorter ones. */
const ROWS_PER_CHUNK = 250;

/** Rows as COPY text (UTF-8 chunks, made as they are asked for) in COPY_COLUMNS' order: what the unnest of upsertParticipants would insert. */
function* participantCopyChunks(eventId: number, raceId: number, rows: ParticipantRow[], syncedAt: Date): Generator<Buffer> {
  const head = `${eventId}\t${raceId}\t`;
  const tail = `\t${copyTime(syncedAt)}\t${copyTime(syncedAt)}\n`;
  let text = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const team = r.teamInfo == null ? null : JSON.stringify(r.teamInfo);
    text += `${head}${r.registrationId}\t${copyField(r.userId)}\t${copyField(r.firstName)}\t${copyField(r.lastName)}\t${copyField(r.email)}\t${copyField(r.dob)}\t${copyField(r.gender)}\t${copyField(r.age)}\t${copyField(r.bibNum)}\t${copyField(r.chipNum)}\t${copyTime(r.registrationDate)}\t${copyTime(r.lastModified)}\t${copyField(r.amountPaid)}\t${copyField(team)}\t${copyField(r.city)}\t${copyField(r.state)}\t${copyField(r.zipcode)}\t${copyField(r.countryCode)}${tail}`;
    if ((i + 1) % ROWS_PER_CHUNK === 0 || i === rows.length - 1) {
      yield Buffer.from(text);
      text = '';
    }
  }
}

/** Whether any registration of the event with an id from low to high is stored (one probe of the primary key). */
async function anyStoredBetween(db: Db, eventId: number, low: number, high: number): Promise<boolean> {
  const { rows } = await sql<{ stored: boolean }>`
    select exists (select 1 from participants where event_id = ${eventId} and registration_id between ${low} and ${high}) as stored`.execute(db);
  return Boolean(rows[0]?.stored);
}

/**
 * A backfill page made ready to be merged (mergePreparedPage), outside the
 * merge's transaction: one row per registration (the last listed wins); on
 * Postgres the COPY text, made slice by slice while the merge sends it (so
 * that Postgres reads one slice while the next is formatted), on the embedded
 * database JSON.
 */
export type PreparedPage =
  | { format: 'json'; rows: Uint8Array }
  | {
      format: 'copy';
      count: number;
      /** The page's COPY text in slices, made afresh at each call. */
      chunks: () => Iterable<Buffer>;
      /** The lowest and highest registration id in it; when unknown, the merge takes the path for stored rows. */
      ids?: { low: number; high: number };
    };

export async function preparePage(db: Db, eventId: number, raceId: number, page: ParticipantRow[], syncedAt: Date): Promise<PreparedPage> {
  const rows = lastPerKey(page);
  if (databaseKind(db) !== 'postgres') return { format: 'json', rows: Buffer.from(JSON.stringify(rows)) };
  const ids = rows.length === 0 ? undefined : { low: rows[0]!.registrationId, high: rows[0]!.registrationId };
  for (const r of rows) {
    if (r.registrationId < ids!.low) ids!.low = r.registrationId;
    if (r.registrationId > ids!.high) ids!.high = r.registrationId;
  }
  return { format: 'copy', count: rows.length, chunks: () => participantCopyChunks(eventId, raceId, rows, syncedAt), ids };
}

/**
 * Merges a prepared page into participants, as upsertParticipants would
 * write its rows (same rows, same result), with as little work per row as
 * the database allows; returns the rows written. COPY text goes straight
 * into participants when none of its registrations is stored yet (every page
 * of a first backfill), else into a temporary table and from there in one
 * INSERT … SELECT … ON CONFLICT. JSON is read with json_to_recordset.
 */
export async function mergePreparedPage(db: Db, eventId: number, raceId: number, page: PreparedPage, syncedAt: Date): Promise<number> {
  if (page.format === 'json') return mergeJsonPage(db, eventId, raceId, Buffer.from(page.rows).toString('utf8'), syncedAt);
  if (page.count === 0) return 0;
  if (page.ids && !(await anyStoredBetween(db, eventId, page.ids.low, page.ids.high))) {
    return copyRows(db, 'participants', COPY_COLUMNS, page.chunks());
  }
  // The temporary table is emptied at every commit: its three statements share one transaction (and connection).
  const merge = async (tx: Db) => {
    // Created once per connection (a notice, not an error, when it exists).
    await sql`create temporary table if not exists participants_incoming (like participants) on commit delete rows`.execute(tx);
    await copyRows(tx, 'participants_incoming', COPY_COLUMNS, page.chunks());
    const result = await sql`
      insert into participants ${INSERT_COLUMNS}
      select event_id, race_id, registration_id, user_id, first_name, last_name, email, dob, gender, age, bib_num, chip_num,
             registration_date, last_modified, amount_paid, team_info, city, state, zipcode, country_code, first_synced_at, synced_at
      from participants_incoming
      ${CURRENT_ON_CONFLICT}`.execute(tx);
    return Number(result.numAffectedRows ?? 0);
  };
  return db.isTransaction ? merge(db) : db.transaction().execute(merge);
}

async function mergeJsonPage(db: Db, eventId: number, raceId: number, json: string, syncedAt: Date): Promise<number> {
  const result = await sql`
    insert into participants ${INSERT_COLUMNS}
    select ${eventId}::bigint, ${raceId}::bigint, r."registrationId", r."userId", r."firstName", r."lastName", r.email, r.dob, r.gender, r.age,
           r."bibNum", r."chipNum", r."registrationDate", r."lastModified", r."amountPaid", r."teamInfo",
           r.city, r.state, r.zipcode, r."countryCode", ${syncedAt}::timestamptz, ${syncedAt}::timestamptz
    from json_to_recordset(${json}::json) as r("registrationId" bigint, "userId" bigint, "firstName" text, "lastName" text, email text,
           dob date, gender text, age int, "bibNum" text, "chipNum" text, "registrationDate" timestamptz, "lastModified" timestamptz,
           "amountPaid" numeric, "teamInfo" jsonb, city text, state text, zipcode text, "countryCode" text)
    ${CURRENT_ON_CONFLICT}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Inserts or updates a page of one event's participants in one statement; a
 * row listed again is current, so a removal mark on it is cleared. Returns the
 * rows written (no RETURNING: it costs a fifth of the throughput).
 */
export async function upsertParticipants(db: Db, eventId: number, raceId: number, page: ParticipantRow[], syncedAt: Date): Promise<number> {
  const rows = lastPerKey(page);
  if (rows.length === 0) return 0;
  const col = <K extends keyof ParticipantRow>(key: K) => rows.map((r) => r[key]);
  const result = await sql`
    insert into participants ${INSERT_COLUMNS}
    select ${eventId}::bigint, ${raceId}::bigint, r.registration_id, r.user_id, r.first_name, r.last_name, r.email, r.dob, r.gender, r.age,
           r.bib_num, r.chip_num, r.registration_date, r.last_modified, r.amount_paid, r.team_info,
           r.city, r.state, r.zipcode, r.country_code, ${syncedAt}::timestamptz, ${syncedAt}::timestamptz
    from unnest(
      ${col('registrationId')}::bigint[], ${col('userId')}::bigint[], ${col('firstName')}::text[], ${col('lastName')}::text[],
      ${col('email')}::text[], ${col('dob')}::date[], ${col('gender')}::text[], ${col('age')}::int[],
      ${col('bibNum')}::text[], ${col('chipNum')}::text[], ${rows.map((r) => iso(r.registrationDate))}::timestamptz[],
      ${rows.map((r) => iso(r.lastModified))}::timestamptz[], ${col('amountPaid')}::numeric[],
      ${rows.map((r) => (r.teamInfo == null ? null : JSON.stringify(r.teamInfo)))}::jsonb[],
      ${col('city')}::text[], ${col('state')}::text[], ${col('zipcode')}::text[], ${col('countryCode')}::text[]
    ) as r(registration_id, user_id, first_name, last_name, email, dob, gender, age, bib_num, chip_num,
           registration_date, last_modified, amount_paid, team_info, city, state, zipcode, country_code)
    ${CURRENT_ON_CONFLICT}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Marks removed registrations with when and why; never deletes. A removal of a
 * registration we never stored is recorded too (a row with only its removal),
 * so that nothing removed can later look current. Counts rows marked.
 */
export async function markRemoved(db: Db, eventId: number, raceId: number, page: RemovalRow[], at: Date): Promise<number> {
  const rows = lastPerKey(page);
  if (rows.length === 0) return 0;
  const { rows: result } = await sql<{ marked: number }>`
    with marked as (
      insert into participants (event_id, race_id, registration_id, removed_at, removed_reason, new_registration_id, last_modified, first_synced_at, synced_at)
      select ${eventId}::bigint, ${raceId}::bigint, r.registration_id, coalesce(r.last_modified, ${at}::timestamptz), r.reason, r.new_registration_id,
             r.last_modified, ${at}::timestamptz, ${at}::timestamptz
      from unnest(${rows.map((r) => r.registrationId)}::bigint[], ${rows.map((r) => iso(r.lastModified))}::timestamptz[],
                  ${rows.map((r) => r.reason)}::text[], ${rows.map((r) => r.newRegistrationId)}::bigint[])
           as r(registration_id, last_modified, reason, new_registration_id)
      on conflict (event_id, registration_id) do update set
        removed_at = excluded.removed_at, removed_reason = excluded.removed_reason,
        new_registration_id = excluded.new_registration_id, synced_at = excluded.synced_at
      returning 1
    )
    select count(*)::int as marked from marked`.execute(db);
  return result[0]?.marked ?? 0;
}

/**
 * After a full pass over an event: a current row the provider no longer listed
 * (synced before the pass began) is marked removed as `not_listed`, never deleted.
 */
export async function markNotListed(db: Db, eventId: number, passStartedAt: Date, at: Date): Promise<number> {
  const result = await db
    .updateTable('participants')
    .set({ removed_at: at, removed_reason: 'not_listed' })
    .where('event_id', '=', eventId)
    .where('removed_at', 'is', null)
    .where('synced_at', '<', passStartedAt)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function participantCounts(db: Db, eventId: number): Promise<{ current: number; removed: number }> {
  const { rows } = await sql<{ current: number; removed: number }>`
    select (count(*) filter (where removed_at is null))::int as current, (count(*) filter (where removed_at is not null))::int as removed
    from participants where event_id = ${eventId}`.execute(db);
  return { current: rows[0]?.current ?? 0, removed: rows[0]?.removed ?? 0 };
}
