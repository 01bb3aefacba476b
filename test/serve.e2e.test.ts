/**
 * `ops serve` end to end on both databases: the real binary serves, the real
 * @segment/analytics-node client and plain HTTP send, and raw.events is read
 * back after a SIGTERM (the embedded database admits one process at a time).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { Analytics } from '@segment/analytics-node';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { basic, createToken, post, serve } from './helpers/serve.js';

const rawRows = (db: TestDatabase) =>
  db.use(
    async (k) =>
      (await sql<{ payload: any; source: string; received_at: Date }>`select payload, source, received_at from raw.events order by id`.execute(k)).rows,
  );

function event(id: string, extra: Record<string, unknown> = {}) {
  return { event_id: id, event_type: 'page_view', occurred_at: '2026-11-30T10:00:00Z', session_id: 's1', page_url: 'https://shop.example/a', ...extra };
}

for (const backend of backends) {
  describe(`ops serve on ${backend.name}`, { skip: backend.skip }, () => {
    test('health, and the analytics-node client: its events arrive in raw with messageId, sentAt and the key’s customer', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_TRACK_PROCESSING: 'false' });
      const { key } = await createToken(env);
      const server = await serve(env);
      assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      const analytics = new Analytics({ writeKey: key, host: server.url, path: '/api/v1/batch', maxEventsInBatch: 3, flushInterval: 50 });
      const failed: unknown[] = [];
      analytics.on('error', (err) => failed.push(err));
      for (let i = 0; i < 7; i++) {
        analytics.track({
          anonymousId: 'anon-1',
          event: 'Order Completed',
          messageId: `m-${i}`,
          properties: { value: 10 + i },
          context: { userAgent: 'UA/1' },
        });
      }
      analytics.page({ userId: 'u-42', messageId: 'p-1', properties: { url: 'https://shop.example/pricing', referrer: 'https://google.com/' } });
      analytics.identify({ userId: 'u-42', messageId: 'i-1', traits: { plan: 'pro' } });
      await analytics.closeAndFlush({ timeout: 30_000 });
      assert.deepEqual(failed, []);
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      const rows = await rawRows(db);
      assert.equal(rows.length, 9);
      const byId = new Map(rows.map((r) => [r.payload.event_id, r.payload]));
      const track = byId.get('m-3');
      assert.equal(track.customer_id, 'one_spa');
      assert.equal(track.event_type, 'Order_Completed');
      assert.equal(track.anonymous_id, 'anon-1');
      assert.equal(track.user_agent, 'UA/1');
      assert.deepEqual(track.properties, { value: 13 });
      assert.ok(Date.parse(track.sent_at) > 0 && Date.parse(track.occurred_at) > 0, JSON.stringify(track));
      const page = byId.get('p-1');
      assert.deepEqual(
        [page.event_type, page.user_id, page.page_url, page.referrer],
        ['page_view', 'u-42', 'https://shop.example/pricing', 'https://google.com/'],
      );
      assert.deepEqual([byId.get('i-1').event_type, byId.get('i-1').properties], ['identify', { plan: 'pro' }]);
      assert.ok(rows.every((r) => /^serve:token:\d+$/.test(r.source)));
      // The pipeline takes them as they are: nothing quarantined.
      const processed = await runOps(['process-tracking', '--json'], env);
      assert.equal(processed.code, 0, processed.stderr);
      assert.deepEqual([processed.json.stats.staged, processed.json.stats.quarantined], [9, 0]);
    });

    test('auth, limits, gzip, text/plain, CORS and every error code; a redelivery is harmless', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_INGEST_RATE_PER_KEY: '1', OPS_CORS_ORIGINS: 'https://shop.example', OPS_TRACK_PROCESSING: 'false' });
      const { key } = await createToken(env);
      const revoked = await createToken(env, 'other');
      assert.equal((await runOps(['tokens', 'revoke', String(revoked.id)], env)).code, 0);
      const server = await serve(env);
      const auth = { authorization: basic(key) };
      const track = `${server.url}/api/v1/track/async`;
      // 401: no key, an unknown key, a revoked key.
      assert.equal((await post(track, event('x'))).status, 401);
      assert.equal((await post(track, event('x'), { authorization: basic('ops_wk_nope') })).status, 401);
      assert.equal((await post(track, event('x'), { authorization: basic(revoked.key) })).status, 401);
      // 400: not JSON, a body that holds no events, an event over 32 KB, over 2,500 events.
      assert.equal((await post(track, '{"event_id": ', auth)).status, 400);
      assert.equal((await post(track, '"a string"', auth)).status, 400);
      const big = await post(track, event('big', { properties: { text: 'x'.repeat(33 * 1024) } }), auth);
      assert.equal(big.status, 400);
      assert.match(big.json.error, /at most 32768/);
      const tooMany = await post(`${server.url}/api/v1/track/batch`, { events: Array.from({ length: 2_501 }, (_, i) => ({ event_id: `t${i}` })) }, auth);
      assert.equal(tooMany.status, 400);
      // 413: a body over 500 KB, plain or as a small gzip that inflates past it.
      assert.equal((await post(track, { events: [event('a', { properties: { t: 'y'.repeat(600 * 1024) } })] }, auth)).status, 413);
      const bomb = gzipSync(Buffer.from(JSON.stringify({ events: [event('b', { properties: { t: 'z'.repeat(2 * 1024 * 1024) } })] })));
      assert.ok(bomb.length < 20_000);
      assert.equal((await post(track, bomb, { ...auth, 'content-encoding': 'gzip' })).status, 413);
      assert.equal((await post(track, Buffer.from('not gzip at all'), { ...auth, 'content-encoding': 'gzip' })).status, 400);
      // Accepted: gzip, text/plain with the key in the body (analytics.js), a Bearer key, the same event twice.
      const zipped = gzipSync(Buffer.from(JSON.stringify(event('g1'))));
      assert.equal((await post(track, zipped, { ...auth, 'content-encoding': 'gzip' })).status, 200);
      const plain = await post(
        `${server.url}/api/v1/t`,
        JSON.stringify({ type: 'track', event: 'appointment_booked', messageId: 'js-1', anonymousId: 'a', writeKey: key }),
        { 'content-type': 'text/plain' },
      );
      assert.equal(plain.status, 200, JSON.stringify(plain.json));
      assert.equal((await post(track, event('dup'), { authorization: `Bearer ${key}` })).status, 200);
      assert.equal((await post(track, event('dup'), auth)).status, 200);
      // 429: the bucket (one second at 1 event/s, but at least one full batch: 2,500) is nearly spent by 4 + 2,480 events.
      const full = await post(`${server.url}/api/v1/track/batch`, { events: Array.from({ length: 2_480 }, (_, i) => event(`r${i}`)) }, auth);
      assert.equal(full.status, 200);
      const limited = await post(`${server.url}/api/v1/track/batch`, { events: Array.from({ length: 100 }, (_, i) => event(`l${i}`)) }, auth);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      // CORS: the configured origin is allowed (preflight and answer), another is not.
      const preflight = await fetch(track, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.ok(preflight.status < 300);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://shop.example');
      const other = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      // analytics.js asks for its settings with the key in the path.
      const settings = await fetch(`${server.url}/api/v1/projects/${key}/settings`);
      assert.equal(settings.status, 200);
      assert.match((await settings.json()).integrations['Segment.io'].apiHost, /\/api\/v1$/);
      assert.equal((await fetch(`${server.url}/api/v1/projects/nope/settings`)).status, 401);

      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      const rows = await rawRows(db);
      assert.equal(rows.length, 2_484, 'g1, js-1, dup twice, 2,480 of the batch');
      assert.ok(rows.every((r) => r.payload.customer_id === 'one_spa'));
      const processed = await runOps(['process-tracking', '--json'], env);
      assert.equal(processed.code, 0, processed.stderr);
      assert.equal(processed.json.stats.duplicates, 1, 'the redelivered event is counted once');
    });

    test('while serving (Postgres: other processes share the database): a revoked key is refused; 503 when the commit fails, then 200 again', {
      skip: backend.name === 'embedded' ? 'the embedded database admits one process: tokens change while the server is stopped' : undefined,
    }, async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_INGEST_KEY_CACHE_SECONDS: '0', OPS_TRACK_PROCESSING: 'false' });
      const { id, key } = await createToken(env);
      const server = await serve(env);
      const auth = { authorization: basic(key) };
      const track = `${server.url}/api/v1/track/async`;
      assert.equal((await post(track, event('before'), auth)).status, 200);
      await db.use((k) => sql`alter table raw.events rename to events_away`.execute(k));
      const failed = await post(track, event('lost'), auth);
      assert.equal(failed.status, 503);
      assert.doesNotMatch(JSON.stringify(failed.json), /events_away/, 'no database detail in the answer');
      await db.use((k) => sql`alter table raw.events_away rename to events`.execute(k));
      assert.equal((await post(track, event('again'), auth)).status, 200);
      assert.equal((await runOps(['tokens', 'revoke', String(id)], env)).code, 0);
      assert.equal((await post(track, event('revoked'), auth)).status, 401);
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.deepEqual(
        (await rawRows(db)).map((r) => r.payload.event_id),
        ['before', 'again'],
      );
    });

    test('admin endpoints behind OPS_ADMIN_TOKEN: status, runs with filters, one run', async () => {
      const db = await backend.create();
      const admin = 'admin-token-that-is-never-printed';
      const env = baseEnv({ ...db.env, OPS_ADMIN_TOKEN: admin, OPS_TRACK_PROCESSING: 'false' });
      const run = await runOps(['process-tracking', '--json'], env);
      assert.equal(run.code, 0, run.stderr);
      const server = await serve(env);
      const get = async (path: string, token?: string) => {
        const r = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: r.status, json: (await r.json()) as any };
      };
      assert.equal((await get('/api/v1/status')).status, 401);
      assert.equal((await get('/api/v1/status', 'wrong')).status, 401);
      const status = await get('/api/v1/status', admin);
      assert.equal(status.status, 200);
      assert.equal(status.json.tasks.find((t: any) => t.task === 'process-tracking')?.run_id, run.json.run_id);
      const runs = await get('/api/v1/runs?task=process-tracking&status=success&limit=5', admin);
      assert.deepEqual(
        runs.json.runs.map((r: any) => r.run_id),
        [run.json.run_id],
      );
      assert.equal((await get('/api/v1/runs?status=failed', admin)).json.runs.length, 0);
      assert.equal((await get('/api/v1/runs?limit=0', admin)).status, 400);
      assert.equal((await get(`/api/v1/runs/${run.json.run_id}`, admin)).json.task, 'process-tracking');
      assert.equal((await get('/api/v1/runs/nope', admin)).status, 404);
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.ok(!stopped.stderr.includes(admin), 'the admin token is never printed');
    });

    test('SIGTERM under load: every event answered 2xx is in raw, and the server exits 0', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_INGEST_FLUSH_MS: '20' });
      const { key } = await createToken(env);
      const server = await serve(env);
      const accepted = new Set<string>();
      let sent = 0;
      let stopping = false;
      const worker = async (w: number) => {
        for (let i = 0; ; i++) {
          const ids = Array.from({ length: 1 + (i % 5) }, (_, j) => `w${w}-${i}-${j}`);
          sent += 1;
          try {
            const r = await post(`${server.url}/api/v1/track/batch`, { events: ids.map((id) => event(id)) }, { authorization: basic(key) });
            if (r.status === 200) for (const id of ids) accepted.add(id);
            else if (r.status !== 503) assert.fail(`unexpected ${r.status}: ${JSON.stringify(r.json)}`);
          } catch {
            if (stopping) return; // the server stopped listening
            throw new Error('a request failed before the stop');
          }
          if (stopping && i > 10_000) return;
        }
      };
      const workers = Array.from({ length: 16 }, (_, w) => worker(w));
      while (accepted.size < 2_000) await new Promise((r) => setTimeout(r, 20));
      stopping = true;
      const stopped = await server.stop();
      await Promise.all(workers);
      assert.equal(stopped.code, 0, stopped.stderr.slice(-3000));
      const ids = new Set((await rawRows(db)).map((r) => r.payload.event_id as string));
      const missing = [...accepted].filter((id) => !ids.has(id));
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${accepted.size} accepted events are not in raw (${sent} requests sent)`);
      assert.ok(accepted.size >= 2_000);
    });
  });
}
