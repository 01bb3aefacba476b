/**
 * The tracking pipeline end to end on both databases: the real `ops` binary
 * ingests NDJSON and runs process-tracking; the tables are then read back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { assertInvariant, businessFacts, ingest, processTracking } from './helpers/tracking.js';

const NOW = '2026-11-21T06:00:00Z';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

function view(id: string, at: string, extra: Record<string, unknown> = {}) {
  return {
    event_id: id,
    customer_id: 'c1',
    event_type: 'page_view',
    occurred_at: at,
    session_id: 's1',
    page_url: 'https://Shop.Example:443/a/?b=2&a=1#top',
    user_agent: UA,
    ...extra,
  };
}

const staged = (db: TestDatabase) => db.use(async (k) => (await sql<Record<string, any>>`select * from staging.events order by raw_id`.execute(k)).rows);
const quarantine = (db: TestDatabase) =>
  db.use(async (k) => (await sql<Record<string, any>>`select * from staging.quarantine order by raw_id`.execute(k)).rows);

for (const backend of backends) {
  describe(`process-tracking on ${backend.name}`, { skip: backend.skip }, () => {
    const envOf = (db: TestDatabase, extra: Record<string, string> = {}) => baseEnv({ ...db.env, OPS_NOW: NOW, ...extra });

    test('typed staging: URL normal form, campaign columns, bots flagged and left out, skew corrected; a rerun has nothing to do', async () => {
      const db = await backend.create();
      const env = envOf(db);
      await ingest(env, [
        view('e1', '2026-11-20T10:00:00Z', { page_url: 'HTTPS://Shop.Example:443/landing/?utm_source=google&utm_medium=cpc&utm_campaign=fall&gclid=abc#x' }),
        view('e2', '2026-11-20T11:05:00+01:00'),
        // A client clock 3 h ahead: sent 5 s after it happened, by its own clock; received at NOW.
        view('e3', '2026-11-21T09:00:00Z', { sent_at: '2026-11-21T09:00:05Z', session_id: 's2' }),
        view('e4', '2026-11-20T11:00:00Z', { user_agent: GOOGLEBOT, session_id: 'bot' }),
        {
          event_id: 'e5',
          customer_id: 'c1',
          event_type: 'appointment_booked',
          occurred_at: '2026-11-20T10:06:00Z',
          session_id: 's1',
          properties: { value: 120.5 },
        },
      ]);
      const first = await processTracking(env);
      assert.equal(first.status, 'success');
      assert.deepEqual([first.stats.read, first.stats.staged, first.stats.bots, first.stats.quarantined], [5, 5, 1, 0]);
      const rows = await staged(db);
      assert.equal(rows[0].page_url, 'https://shop.example/landing?gclid=abc&utm_campaign=fall&utm_medium=cpc&utm_source=google');
      assert.deepEqual(
        [rows[0].page_origin, rows[0].page_path, rows[0].utm_source, rows[0].utm_medium, rows[0].utm_campaign, rows[0].gclid],
        ['https://shop.example', '/landing', 'google', 'cpc', 'fall', 'abc'],
      );
      assert.equal(rows[1].page_path, '/a');
      assert.equal(rows[1].page_query, 'a=1&b=2');
      assert.equal(new Date(rows[1].event_time).toISOString(), '2026-11-20T10:05:00.000Z');
      // OPS_NOW starts the clock; it runs on during the run.
      assert.equal(new Date(rows[2].event_time).getTime(), new Date(rows[2].received_at).getTime() - 5_000, 'received − (sent − occurred)');
      assert.ok(Math.abs(new Date(rows[2].received_at).getTime() - Date.parse(NOW)) < 60_000);
      assert.equal(rows[3].is_bot, true);
      const facts = await businessFacts(db);
      assert.ok(
        facts.sessions.every((s: any) => s.visitor_key !== 's:bot'),
        'bots stay out of the business facts',
      );
      const s1 = facts.sessions.find((s: any) => s.visitor_key === 's:s1');
      assert.deepEqual([s1.events, s1.page_views, s1.converted, s1.bounce, s1.utm_source], [3, 2, true, false, 'google']);
      assert.deepEqual(facts.conversions, [{ customer_id: 'c1', day: '2026-11-20', event_type: 'appointment_booked', conversions: 1, value: 120.5 }]);
      const second = await processTracking(env);
      assert.deepEqual(second.stats.nothing_to_do, true);
      assert.deepEqual(await businessFacts(db), facts);
      const status = await runOps(['tracking-status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual([status.json.raw, status.json.staged, status.json.bots, status.json.pending, status.json.in_business], [5, 5, 1, 0, 4]);
      await assertInvariant(db);
    });

    test('redelivery is a counted duplicate; the same id with other content is a quarantined conflict, also across runs', async () => {
      const db = await backend.create();
      const env = envOf(db);
      const a = view('dup', '2026-11-20T10:00:00Z');
      await ingest(env, [a, { ...a, sent_at: '2026-11-20T10:00:01Z' }, { ...a, page_url: 'https://shop.example/other' }]);
      const first = await processTracking(env);
      assert.deepEqual([first.stats.staged, first.stats.duplicates, first.stats.quarantined], [1, 1, 1]);
      await ingest(env, [a, { ...a, occurred_at: '2026-11-20T10:00:09Z' }]);
      const second = await processTracking(env);
      assert.deepEqual([second.stats.staged, second.stats.duplicates, second.stats.quarantined], [0, 1, 1]);
      const q = await quarantine(db);
      assert.deepEqual(
        q.map((r) => r.reason),
        ['conflict', 'conflict'],
      );
      assert.match(q[0].message, /^event_id: customer_id c1 \/ event_id dup arrived before with different content \(raw id 1\)/);
      assert.equal(q[0].payload.page_url, 'https://shop.example/other', 'the original payload is kept');
      const counts = await assertInvariant(db);
      assert.deepEqual(counts, { raw: 5, staged: 1, duplicates: 2, quarantined: 2, pending: 0, twice: 0 });
    });

    test('late events correct the facts of their day (same as processing everything at once); --reprocess rebuilds them', async () => {
      const early = [view('p1', '2026-11-20T10:00:00Z'), view('p2', '2026-11-20T10:40:00Z', { page_url: 'https://shop.example/b' })];
      // Arrives after the day was processed and bridges the 40-minute gap: one session, not two.
      const late = [view('p3', '2026-11-20T10:20:00Z', { page_url: 'https://shop.example/b' })];
      const db = await backend.create();
      const env = envOf(db);
      await ingest(env, early);
      await processTracking(env);
      const before = await businessFacts(db);
      assert.equal(before.sessions.length, 2);
      await ingest(env, late);
      const run = await processTracking(env);
      assert.equal(run.stats.visitors_rebuilt, 1);
      const after = await businessFacts(db);
      assert.equal(after.sessions.length, 1);
      assert.deepEqual(
        after.pages.find((p: any) => p.page === 'https://shop.example/b'),
        {
          customer_id: 'c1',
          day: '2026-11-20',
          page: 'https://shop.example/b',
          page_views: 2,
          unique_sessions: 1,
        },
      );
      const reference = await backend.create();
      await ingest(envOf(reference), [...early, ...late]);
      await processTracking(envOf(reference));
      assert.deepEqual(after, await businessFacts(reference));

      await db.use((k) => sql`delete from business.daily_pages`.execute(k));
      await db.use((k) => sql`delete from business.sessions`.execute(k));
      const rebuilt = await processTracking(env, ['--reprocess', '--since', '2026-11-20']);
      assert.equal(rebuilt.stats.reprocess_since, '2026-11-20T00:00:00.000Z');
      assert.deepEqual(await businessFacts(db), after);
    });

    test('a writer that commits after a later row was processed: its row is picked up by the lookback, not lost', {
      skip: backend.name !== 'postgres' && 'concurrent writers need Postgres',
    }, async () => {
      const db = await backend.create();
      const env = envOf(db);
      await runOps(['migrate'], env);
      const { default: pg } = await import('pg');
      const slow = new pg.Client({ connectionString: db.env.DATABASE_URL });
      await slow.connect();
      try {
        await slow.query('begin');
        await slow.query('insert into raw.events (payload) values ($1)', [JSON.stringify(view('slow', '2026-11-20T10:00:00Z'))]);
        await ingest(env, [view('quick', '2026-11-20T10:01:00Z')]); // a higher id, committed first
        const first = await processTracking(env);
        assert.equal(first.stats.staged, 1);
        await slow.query('commit');
      } finally {
        await slow.end();
      }
      await ingest(env, [view('next', '2026-11-20T10:02:00Z')]);
      const second = await processTracking(env);
      assert.deepEqual([second.stats.late_commits, second.stats.staged], [1, 2]);
      assert.deepEqual((await staged(db)).map((r) => r.event_id).sort(), ['next', 'quick', 'slow']);
      await assertInvariant(db);
    });

    test('quarantine: reasons with field paths; a fix then --replay recovers the events and records it', async () => {
      const db = await backend.create();
      await ingest(envOf(db), [
        view('f1', '2026-11-21T09:00:00Z'), // 3 h ahead of NOW
        view('w1', '2026-11-20T10:00:00Z', { properties: { value: 'ten' } }),
      ]);
      const strict = envOf(db, { TRACKING_MAX_FUTURE_SECONDS: '3600' });
      const run = await processTracking(strict);
      assert.equal(run.stats.quarantined, 2);
      const listed = await runOps(['tracking-quarantine', '--json'], strict);
      assert.deepEqual(
        listed.json.map((r: any) => [r.reason, r.message.split(':')[0]]),
        [
          ['wrong_type', 'properties.value'],
          ['future_time', 'occurred_at'],
        ],
      );
      const onlyTime = await runOps(['tracking-quarantine', '--reason', 'future_time', '--json'], strict);
      assert.equal(onlyTime.json.length, 1);
      const replay = await runOps(['tracking-quarantine', '--replay', '--json'], envOf(db, { TRACKING_MAX_FUTURE_SECONDS: '86400' }));
      assert.equal(replay.code, 0, replay.stderr);
      assert.deepEqual([replay.json.stats.checked, replay.json.stats.recovered, replay.json.stats.still_quarantined], [2, 1, 1]);
      const q = await quarantine(db);
      assert.equal(q[0].recovered_by, replay.json.run_id);
      assert.equal(q[1].recovered_at, null);
      assert.equal((await staged(db)).length, 1);
      assert.equal((await businessFacts(db)).sessions.length, 1);
      await assertInvariant(db);
    });
  });
}
